# Mirrors nixos/modules/services/databases/postgresql.nix (NixOS/nixpkgs,
# release 25.11; read from the stored text that defaults to postgresql_17 for
# stateVersion 25.11 and splits postgresql.service from postgresql-setup.service
# under postgresql.target). Options nix/modules sets or reads have their real
# types and defaults: ensureUsers is a strict submodule, extensions is a
# function from the PostgreSQL package set (or a list), settings is freeform
# over bool/float/int/str with a typed `port`. The config mirrors upstream's
# definitions that can meet ours: the setup unit (a `script`, User=postgres,
# PGPORT from settings.port) that our postStart extends, the settings it
# writes (listen_addresses from enableTCPIP), its assertion that a user with
# ensureDBOwnership has a database of the same name. Not mirrored: the
# systemCallFilter option (its default is inlined), the config file check,
# JIT, initdb details.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib)
    mkDefault
    mkOption
    types
    ;
  cfg = config.services.postgresql;

  configFile = pkgs.writeText "postgresql.conf" (
    lib.concatStringsSep "\n" (lib.mapAttrsToList (n: v: "${n} = ${toString v}") (lib.filterAttrs (_: v: v != null) cfg.settings))
  );

  clauseOption = mkOption {
    type = types.nullOr types.bool;
    default = null;
  };
in
{
  options.services.postgresql = {
    enable = lib.mkEnableOption "PostgreSQL Server";

    enableJIT = lib.mkEnableOption "JIT support";

    package = mkOption {
      type = types.package;
      example = lib.literalExpression "pkgs.postgresql_15";
      description = "The package being used by postgresql.";
    };

    finalPackage = mkOption {
      type = types.package;
      readOnly = true;
      default =
        let
          withJit = if cfg.enableJIT then cfg.package.withJIT else cfg.package.withoutJIT;
        in
        if cfg.extensions == [ ] then withJit else withJit.withPackages cfg.extensions;
      description = "The postgresql package that will effectively be used in the system.";
    };

    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = "Check the syntax of the configuration file at compile time";
    };

    dataDir = mkOption {
      type = types.path;
      example = "/var/lib/postgresql/15";
      description = "The data directory for PostgreSQL.";
    };

    authentication = mkOption {
      type = types.lines;
      default = "";
      description = "Defines how users authenticate themselves to the server.";
    };

    identMap = mkOption {
      type = types.lines;
      default = "";
      description = "Defines the mapping from system users to database users.";
    };

    initdbArgs = mkOption {
      type = with types; listOf str;
      default = [ ];
      description = "Additional arguments passed to `initdb` during data dir initialisation.";
    };

    initialScript = mkOption {
      type = types.nullOr types.path;
      default = null;
      description = "A file containing SQL statements to execute on first startup.";
    };

    ensureDatabases = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Ensures that the specified databases exist.";
    };

    ensureUsers = mkOption {
      type = types.listOf (
        types.submodule {
          options = {
            name = mkOption {
              type = types.str;
              description = "Name of the user to ensure.";
            };
            ensureDBOwnership = mkOption {
              type = types.bool;
              default = false;
              description = "Grants the user ownership to a database with the same name.";
            };
            ensureClauses = mkOption {
              default = { };
              description = "An attrset of clauses to grant to the user.";
              type = types.submodule {
                options = {
                  superuser = clauseOption;
                  createrole = clauseOption;
                  createdb = clauseOption;
                  "inherit" = clauseOption;
                  login = clauseOption;
                  replication = clauseOption;
                  bypassrls = clauseOption;
                };
              };
            };
          };
        }
      );
      default = [ ];
      description = "Ensures that the specified users exist.";
    };

    enableTCPIP = mkOption {
      type = types.bool;
      default = false;
      description = "Whether PostgreSQL should listen on all network interfaces.";
    };

    extensions = mkOption {
      type = with types; coercedTo (listOf path) (path: _ignorePg: path) (functionTo (listOf path));
      default = _: [ ];
      example = lib.literalExpression "ps: with ps; [ postgis pg_repack ]";
      description = "List of PostgreSQL extensions to install.";
    };

    settings = mkOption {
      type =
        with types;
        submodule {
          freeformType = attrsOf (oneOf [
            bool
            float
            int
            str
          ]);
          options = {
            shared_preload_libraries = mkOption {
              type = nullOr (coercedTo (listOf str) (lib.concatStringsSep ",") commas);
              default = null;
              description = "List of libraries to be preloaded.";
            };
            log_line_prefix = mkOption {
              type = types.str;
              default = "[%p] ";
              description = "A printf-style string that is output at the beginning of each log line.";
            };
            port = mkOption {
              type = types.port;
              default = 5432;
              description = "The port on which PostgreSQL listens.";
            };
          };
        };
      default = { };
      description = "PostgreSQL configuration.";
    };

    superUser = mkOption {
      type = types.str;
      default = "postgres";
      internal = true;
      readOnly = true;
      description = "PostgreSQL superuser account to use for various operations.";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = map (
      { name, ensureDBOwnership, ... }:
      {
        assertion = ensureDBOwnership -> lib.elem name cfg.ensureDatabases;
        message = ''
          For each database user defined with `services.postgresql.ensureUsers` and
          `ensureDBOwnership = true;`, a database with the same name must be defined
          in `services.postgresql.ensureDatabases`.

          Offender: ${name} has not been found among databases.
        '';
      }
    ) cfg.ensureUsers;

    services.postgresql.settings = {
      hba_file = "${pkgs.writeText "pg_hba.conf" cfg.authentication}";
      ident_file = "${pkgs.writeText "pg_ident.conf" cfg.identMap}";
      log_destination = "stderr";
      listen_addresses = if cfg.enableTCPIP then "*" else "localhost";
      jit = mkDefault (if cfg.enableJIT then "on" else "off");
    };

    services.postgresql.package =
      let
        base =
          if lib.versionAtLeast config.system.stateVersion "25.11" then
            pkgs.postgresql_17
          else if lib.versionAtLeast config.system.stateVersion "24.11" then
            pkgs.postgresql_16
          else
            pkgs.postgresql_15;
      in
      mkDefault (if cfg.enableJIT then base.withJIT else base);

    services.postgresql.dataDir = mkDefault "/var/lib/postgresql/${cfg.package.psqlSchema}";

    services.postgresql.authentication = lib.mkMerge [
      (lib.mkBefore "# Generated file; do not edit!")
      (lib.mkAfter ''
        # default value of services.postgresql.authentication
        local all postgres         peer map=postgres
        local all all              peer
        host  all all 127.0.0.1/32 md5
        host  all all ::1/128      md5
      '')
    ];

    services.postgresql.identMap = lib.mkAfter ''
      postgres postgres postgres
    '';

    users.users.postgres = {
      name = "postgres";
      uid = 71; # config.ids.uids.postgres
      group = "postgres";
      description = "PostgreSQL server user";
      home = "${cfg.dataDir}";
      useDefaultShell = true;
    };
    users.groups.postgres.gid = 71; # config.ids.gids.postgres

    environment.systemPackages = [ cfg.finalPackage ];

    systemd.targets.postgresql = {
      description = "PostgreSQL";
      wantedBy = [ "multi-user.target" ];
      requires = [
        "postgresql.service"
        "postgresql-setup.service"
      ];
    };

    systemd.services.postgresql = {
      description = "PostgreSQL Server";
      after = [ "network.target" ];
      wants = [ "postgresql.target" ];
      partOf = [ "postgresql.target" ];
      environment.PGDATA = cfg.dataDir;
      path = [ cfg.finalPackage ];
      preStart = ''
        if ! test -e ${cfg.dataDir}/PG_VERSION; then
          rm -f ${cfg.dataDir}/*.conf
          initdb -U ${cfg.superUser} ${lib.escapeShellArgs cfg.initdbArgs}
          touch "${cfg.dataDir}/.first_startup"
        fi
        ln -sfn "${configFile}" "${cfg.dataDir}/postgresql.conf"
      '';
      serviceConfig = lib.mkMerge [
        {
          ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
          User = "postgres";
          Group = "postgres";
          RuntimeDirectory = "postgresql";
          Type = "notify";
          KillSignal = "SIGINT";
          KillMode = "mixed";
          TimeoutSec = 120;
          ExecStart = "${cfg.finalPackage}/bin/postgres";
          Restart = "always";
          CapabilityBoundingSet = [ "" ];
          DevicePolicy = "closed";
          PrivateTmp = true;
          ProtectHome = true;
          ProtectSystem = "strict";
          MemoryDenyWriteExecute = mkDefault (cfg.settings.jit == "off");
          NoNewPrivileges = true;
          LockPersonality = true;
          PrivateDevices = true;
          PrivateMounts = true;
          ProcSubset = "pid";
          ProtectClock = true;
          ProtectControlGroups = true;
          ProtectHostname = true;
          ProtectKernelLogs = true;
          ProtectKernelModules = true;
          ProtectKernelTunables = true;
          ProtectProc = "invisible";
          RemoveIPC = true;
          RestrictAddressFamilies = [
            "AF_INET"
            "AF_INET6"
            "AF_NETLINK"
            "AF_UNIX"
          ];
          RestrictNamespaces = true;
          RestrictRealtime = true;
          RestrictSUIDSGID = true;
          SystemCallArchitectures = "native";
          SystemCallFilter = [
            "@system-service"
            "~@privileged"
            "~@resources"
          ];
          UMask = "0027";
        }
        (lib.mkIf (cfg.dataDir != "/var/lib/postgresql/${cfg.package.psqlSchema}") { ReadWritePaths = [ cfg.dataDir ]; })
        (lib.mkIf (cfg.dataDir == "/var/lib/postgresql/${cfg.package.psqlSchema}") {
          StateDirectory = "postgresql postgresql/${cfg.package.psqlSchema}";
          StateDirectoryMode = "0750";
        })
      ];
      unitConfig = {
        RequiresMountsFor = "${cfg.dataDir}";
        StartLimitIntervalSec = 120 * 5 + 5;
        StartLimitBurst = 5;
      };
    };

    systemd.services.postgresql-setup = {
      description = "PostgreSQL Setup Scripts";
      requires = [ "postgresql.service" ];
      after = [ "postgresql.service" ];
      serviceConfig = {
        User = "postgres";
        Group = "postgres";
        Type = "oneshot";
        RemainAfterExit = true;
      };
      path = [ cfg.finalPackage ];
      environment.PGPORT = builtins.toString cfg.settings.port;
      script =
        ''
          while ! psql -d postgres -c "" 2> /dev/null; do
              if ! systemctl is-active --quiet postgresql.service; then exit 1; fi
              sleep 0.1
          done
        ''
        + lib.concatMapStrings (database: ''
          psql -tAc "SELECT 1 FROM pg_database WHERE datname = '${database}'" | grep -q 1 || psql -tAc 'CREATE DATABASE "${database}"'
        '') cfg.ensureDatabases
        + lib.concatMapStrings (user: ''
          psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='${user.name}'" | grep -q 1 || psql -tAc 'CREATE USER "${user.name}"'
          ${lib.optionalString user.ensureDBOwnership ''psql -tAc 'ALTER DATABASE "${user.name}" OWNER TO "${user.name}";' ''}
        '') cfg.ensureUsers;
    };
  };
}
