# Mirrors nixos/modules/services/databases/redis.nix (NixOS/nixpkgs, release
# 25.11): services.redis.package, vmOverCommit and servers.<name> as a strict
# submodule with upstream's options, types and defaults (a named server's port
# defaults to 0, i.e. Unix socket only; bind is "127.0.0.1"; settings is
# attrsOf bool/int/str/list-of-str) and upstream's own settings, which it
# derives from the options at normal priority (so settings.port next to port
# would clash). The config mirrors what can meet ours: vm.overcommit_memory
# = "1" when vmOverCommit (a normal-priority string that beats our mkDefault
# 1), the redis-<name> user, group and unit (redis-ai-stack.service), and the
# firewall ports of servers with openFirewall. The stored text no longer sets
# vm.nr_hugepages (older releases set it to "0"). Not mirrored: sentinel,
# requirePass checks, the config file's include dance.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.services.redis;

  mkValueString =
    value:
    if value == true then
      "yes"
    else if value == false then
      "no"
    else
      lib.generators.mkValueStringDefault { } value;

  redisConfig =
    settings:
    pkgs.writeText "redis.conf" (
      lib.generators.toKeyValue {
        listsAsDuplicateKeys = true;
        mkKeyValue = lib.generators.mkKeyValueDefault { inherit mkValueString; } " ";
      } settings
    );

  redisName = name: "redis" + lib.optionalString (name != "") ("-" + name);
  enabledServers = lib.filterAttrs (name: conf: conf.enable) config.services.redis.servers;
in
{
  options.services.redis = {
    package = lib.mkPackageOption pkgs "redis" { };

    vmOverCommit = lib.mkEnableOption ''
      set `vm.overcommit_memory` sysctl to 1
      (Suggested for Background Saving: <https://redis.io/docs/get-started/faq/>)
    '';

    servers = mkOption {
      default = { };
      description = "Configuration of multiple `redis-server` instances.";
      type = types.attrsOf (
        types.submodule (
          { config, name, ... }:
          {
            options = {
              enable = lib.mkEnableOption "Redis server";
              user = mkOption {
                type = types.str;
                default = redisName name;
                description = "The username and groupname for redis-server.";
              };
              group = mkOption {
                type = types.str;
                default = config.user;
                description = "Group account under which this instance of redis-server runs.";
              };
              port = mkOption {
                type = types.port;
                default = if name == "" then 6379 else 0;
                description = "The TCP port to accept connections. If port 0 is specified Redis will not listen on a TCP socket.";
              };
              openFirewall = mkOption {
                type = types.bool;
                default = false;
                description = "Whether to open ports in the firewall for the server.";
              };
              extraParams = mkOption {
                type = with types; listOf str;
                default = [ ];
                description = "Extra parameters to append to redis-server invocation";
              };
              bind = mkOption {
                type = with types; nullOr str;
                default = "127.0.0.1";
                description = "The IP interface to bind to. `null` means \"all interfaces\".";
              };
              unixSocket = mkOption {
                type = with types; nullOr path;
                default = "/run/${redisName name}/redis.sock";
                description = "The path to the socket to bind to.";
              };
              unixSocketPerm = mkOption {
                type = types.int;
                default = 660;
                description = "Change permissions for the socket";
              };
              logLevel = mkOption {
                type = types.str;
                default = "notice";
                description = "Specify the server verbosity level, options: debug, verbose, notice, warning.";
              };
              logfile = mkOption {
                type = types.str;
                default = "/dev/null";
                description = "Specify the log file name.";
              };
              syslog = mkOption {
                type = types.bool;
                default = true;
                description = "Enable logging to the system logger.";
              };
              databases = mkOption {
                type = types.int;
                default = 16;
                description = "Set the number of databases.";
              };
              maxclients = mkOption {
                type = types.int;
                default = 10000;
                description = "Set the max number of connected clients at the same time.";
              };
              save = mkOption {
                type = with types; listOf (listOf int);
                default = [
                  [
                    900
                    1
                  ]
                  [
                    300
                    10
                  ]
                  [
                    60
                    10000
                  ]
                ];
                description = "The schedule in which data is persisted to disk; [] disables RDB persistence.";
              };
              requirePassFile = mkOption {
                type = with types; nullOr path;
                default = null;
                description = "File with password for the database.";
              };
              appendOnly = mkOption {
                type = types.bool;
                default = false;
                description = "Use an append-only file for improved persistence.";
              };
              appendFsync = mkOption {
                type = types.str;
                default = "everysec";
                description = "How often to fsync the append-only log, options: no, always, everysec.";
              };
              slowLogLogSlowerThan = mkOption {
                type = types.int;
                default = 10000;
                description = "Log queries whose execution take longer than X in milliseconds.";
              };
              slowLogMaxLen = mkOption {
                type = types.int;
                default = 128;
                description = "Maximum number of items to keep in slow log.";
              };
              settings = mkOption {
                type =
                  with types;
                  attrsOf (oneOf [
                    bool
                    int
                    str
                    (listOf str)
                  ]);
                default = { };
                description = "Redis configuration. Refer to <https://redis.io/topics/config> for details on supported values.";
              };
            };
            config.settings = lib.mkMerge [
              {
                inherit (config)
                  port
                  logfile
                  databases
                  maxclients
                  appendOnly
                  ;
                daemonize = false;
                supervised = "systemd";
                loglevel = config.logLevel;
                syslog-enabled = config.syslog;
                save =
                  if config.save == [ ] then
                    ''""''
                  else
                    map (d: "${toString (builtins.elemAt d 0)} ${toString (builtins.elemAt d 1)}") config.save;
                dbfilename = "dump.rdb";
                dir = "/var/lib/${redisName name}";
                appendfsync = config.appendFsync;
                slowlog-log-slower-than = config.slowLogLogSlowerThan;
                slowlog-max-len = config.slowLogMaxLen;
              }
              (lib.mkIf (config.bind != null) { inherit (config) bind; })
              (lib.mkIf (config.unixSocket != null) {
                unixsocket = config.unixSocket;
                unixsocketperm = toString config.unixSocketPerm;
              })
            ];
          }
        )
      );
    };
  };

  config = lib.mkIf (enabledServers != { }) {
    boot.kernel.sysctl = lib.mkIf cfg.vmOverCommit { "vm.overcommit_memory" = "1"; };

    networking.firewall.allowedTCPPorts = lib.concatMap (conf: lib.optional conf.openFirewall conf.port) (
      lib.attrValues enabledServers
    );

    environment.systemPackages = [ cfg.package ];

    users.users = lib.mapAttrs' (
      name: conf:
      lib.nameValuePair (redisName name) {
        description = "System user for the redis-server instance ${name}";
        isSystemUser = true;
        group = redisName name;
      }
    ) enabledServers;
    users.groups = lib.mapAttrs' (name: conf: lib.nameValuePair (redisName name) { }) enabledServers;

    systemd.services = lib.mapAttrs' (
      name: conf:
      lib.nameValuePair (redisName name) {
        description = "Redis Server - ${redisName name}";
        wantedBy = [ "multi-user.target" ];
        after = [ "network.target" ];
        serviceConfig = {
          ExecStart = "${cfg.package}/bin/redis-server /var/lib/${redisName name}/redis.conf ${lib.escapeShellArgs conf.extraParams}";
          ExecStartPre = "+${pkgs.writeShellScript "${redisName name}-prep-conf" ''
            echo 'include "${redisConfig conf.settings}"' > "/run/${redisName name}/nixos.conf"
          ''}";
          Type = "notify";
          User = conf.user;
          Group = conf.group;
          RuntimeDirectory = redisName name;
          RuntimeDirectoryMode = "0750";
          StateDirectory = redisName name;
          StateDirectoryMode = "0700";
          UMask = "0077";
          CapabilityBoundingSet = "";
          NoNewPrivileges = true;
          LimitNOFILE = lib.mkDefault "${toString (conf.maxclients + 32)}";
          ProtectSystem = "strict";
          ProtectHome = true;
          PrivateTmp = true;
          PrivateDevices = true;
          PrivateUsers = true;
          RestrictAddressFamilies = [
            "AF_INET"
            "AF_INET6"
            "AF_UNIX"
          ];
          MemoryDenyWriteExecute = true;
          SystemCallArchitectures = "native";
        };
      }
    ) enabledServers;
  };
}
