# Mirrors nixos/modules/services/monitoring/grafana.nix (NixOS/nixpkgs; read
# from the stored text, which is the 26.05 development branch just after
# 25.11: there settings.security.secret_key has no default and an assertion
# asks for one, where 25.11 still defaulted it with a warning; nix/modules sets
# it either way). settings is a submodule whose freeformType is the INI type,
# exactly as upstream: keys Grafana knows but the module does not declare are
# accepted, the declared ones (the sections nix/modules sets: server,
# security, analytics) are typed. provision.datasources.settings and
# provision.dashboards.settings are upstream's nullable submodules with the
# datasource and dashboard-provider submodules (declared keys typed, the rest
# freeform YAML). The config mirrors upstream's assertions, the grafana user
# (a static user the secret-key unit of nix/modules runs as) and the unit,
# whose script names the generated config.ini. Not mirrored: alerting
# provisioning, declarativePlugins, the database and smtp sections.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.services.grafana;
  provisioningSettingsFormat = pkgs.formats.yaml { };
  settingsFormatIni = pkgs.formats.ini {
    listToValue = lib.concatMapStringsSep " " (lib.generators.mkValueStringDefault { });
  };
  configFile = settingsFormatIni.generate "config.ini" cfg.settings;

  mkProvisionCfg =
    name: attr: provisionCfg:
    if provisionCfg.path != null then
      provisionCfg.path
    else
      provisioningSettingsFormat.generate "${name}.yaml" (
        if provisionCfg.settings != null then
          provisionCfg.settings
        else
          {
            ${attr} = [ ];
            apiVersion = 1;
          }
      );
  provisionConfDir = pkgs.runCommand "grafana-provisioning" { } ''
    mkdir -p $out/{datasources,dashboards}
    ln -sf ${mkProvisionCfg "datasource" "datasources" cfg.provision.datasources} $out/datasources/datasource.yaml
    ln -sf ${mkProvisionCfg "dashboard" "providers" cfg.provision.dashboards} $out/dashboards/dashboard.yaml
  '';

  grafanaTypes.datasourceConfig = types.submodule {
    freeformType = provisioningSettingsFormat.type;
    options = {
      access = mkOption {
        default = "proxy";
        type = types.enum [
          "proxy"
          "direct"
        ];
        description = "Access mode. proxy or direct (Server or Browser in the UI). Required.";
      };
      editable = mkOption {
        default = false;
        type = types.bool;
        description = "Allow users to edit datasources from the UI.";
      };
      jsonData = mkOption {
        default = null;
        type = types.nullOr types.attrs;
        description = "Extra data for datasource plugins.";
      };
      name = mkOption {
        type = types.str;
        description = "Name of the datasource. Required.";
      };
      secureJsonData = mkOption {
        default = null;
        type = types.nullOr types.attrs;
        description = "Datasource specific secure configuration.";
      };
      type = mkOption {
        type = types.str;
        description = "Datasource type. Required.";
      };
      uid = mkOption {
        default = null;
        type = types.nullOr types.str;
        description = "Custom UID which can be used to reference this datasource in other parts of the configuration.";
      };
      url = mkOption {
        default = "";
        type = types.str;
        description = "Url of the datasource.";
      };
    };
  };

  grafanaTypes.dashboardConfig = types.submodule {
    freeformType = provisioningSettingsFormat.type;
    options = {
      options.path = mkOption {
        type = types.path;
        description = "Path grafana will watch for dashboards. Required when using the 'file' type.";
      };
      name = mkOption {
        default = "default";
        type = types.str;
        description = "A unique provider name.";
      };
      type = mkOption {
        default = "file";
        type = types.str;
        description = "Dashboard provider type.";
      };
    };
  };

  provisionPath = mkOption {
    default = null;
    type = types.nullOr types.path;
    description = "Path to a YAML provisioning file or directory; can't be used with settings simultaneously.";
  };
in
{
  options.services.grafana = {
    enable = lib.mkEnableOption "grafana";
    package = lib.mkPackageOption pkgs "grafana" { };

    dataDir = mkOption {
      default = "/var/lib/grafana";
      type = types.path;
      description = "Data directory.";
    };

    openFirewall = mkOption {
      default = false;
      type = types.bool;
      description = "Open the ports in the firewall for the server.";
    };

    provision = {
      enable = lib.mkEnableOption "provision";

      datasources = {
        path = provisionPath;
        settings = mkOption {
          default = null;
          description = "Grafana datasource configuration in Nix.";
          type = types.nullOr (
            types.submodule {
              options = {
                apiVersion = mkOption {
                  default = 1;
                  type = types.int;
                  description = "Config file version.";
                };
                datasources = mkOption {
                  default = [ ];
                  type = types.listOf grafanaTypes.datasourceConfig;
                  description = "List of datasources to insert/update.";
                };
                deleteDatasources = mkOption {
                  default = [ ];
                  description = "List of datasources that should be deleted from the database.";
                  type = types.listOf (
                    types.submodule {
                      options.name = mkOption {
                        type = types.str;
                        description = "Name of the datasource to delete.";
                      };
                      options.orgId = mkOption {
                        type = types.int;
                        description = "Organization ID of the datasource to delete.";
                      };
                    }
                  );
                };
                prune = mkOption {
                  default = false;
                  type = types.bool;
                  description = "When true, provisioned datasources from this file are deleted when removed from the list.";
                };
              };
            }
          );
        };
      };

      dashboards = {
        path = provisionPath;
        settings = mkOption {
          default = null;
          description = "Grafana dashboard configuration in Nix.";
          type = types.nullOr (
            types.submodule {
              options.apiVersion = mkOption {
                default = 1;
                type = types.int;
                description = "Config file version.";
              };
              options.providers = mkOption {
                default = [ ];
                type = types.listOf grafanaTypes.dashboardConfig;
                description = "List of dashboards to insert/update.";
              };
            }
          );
        };
      };
    };

    settings = mkOption {
      default = { };
      description = "Grafana settings (INI). See <https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/>.";
      type = types.submodule {
        freeformType = settingsFormatIni.type;
        options = {
          analytics = {
            check_for_updates = mkOption {
              default = false;
              type = types.bool;
              description = "When set to `false`, disables checking for new versions of Grafana.";
            };
            feedback_links_enabled = mkOption {
              default = true;
              type = types.bool;
              description = "Set to `false` to remove all feedback links from the UI.";
            };
            reporting_enabled = mkOption {
              default = false;
              type = types.bool;
              description = "When enabled Grafana will send anonymous usage statistics to `stats.grafana.org`.";
            };
          };

          paths.provisioning = mkOption {
            default = provisionConfDir;
            type = types.path;
            description = "Folder that contains provisioning config files that grafana will apply on startup.";
          };

          security = {
            admin_user = mkOption {
              default = "admin";
              type = types.str;
              description = "Default admin username.";
            };
            admin_password = mkOption {
              default = "admin";
              type = types.str;
              description = "Default admin password (use the file provider; this ends up in the store).";
            };
            admin_email = mkOption {
              default = "admin@localhost";
              type = types.str;
              description = "The email of the default Grafana Admin, created on startup.";
            };
            disable_gravatar = mkOption {
              default = false;
              type = types.bool;
              description = "Set to `true` to disable the use of Gravatar for user profile images.";
            };
            secret_key = mkOption {
              default = null;
              type = types.nullOr types.str;
              description = "Secret key used for signing data source settings like secrets and passwords (use the file provider).";
            };
          };

          server = {
            domain = mkOption {
              default = "localhost";
              type = types.str;
              description = "The public facing domain name used to access grafana from a browser.";
            };
            enforce_domain = mkOption {
              default = false;
              type = types.bool;
              description = "Redirect to correct domain if the host header does not match the domain.";
            };
            http_addr = mkOption {
              default = "127.0.0.1";
              type = types.str;
              description = "Listening address.";
            };
            http_port = mkOption {
              default = 3000;
              type = types.port;
              description = "Listening port.";
            };
            protocol = mkOption {
              default = "http";
              type = types.enum [
                "http"
                "https"
                "h2"
                "socket"
              ];
              description = "Which protocol to listen.";
            };
            root_url = mkOption {
              default = "%(protocol)s://%(domain)s:%(http_port)s/";
              type = types.str;
              description = "This is the full URL used to access Grafana from a web browser.";
            };
          };
        };
      };
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.provision.datasources.settings == null || cfg.provision.datasources.path == null;
        message = "Cannot set both datasources settings and datasources path";
      }
      {
        assertion =
          cfg.provision.datasources.settings == null
          || lib.all ({ access, type, ... }: type == "prometheus" -> access != "direct") cfg.provision.datasources.settings.datasources;
        message = "For datasources of type `prometheus`, the `direct` access mode is not supported anymore (since Grafana 9.2.0)";
      }
      {
        assertion = cfg.provision.dashboards.settings == null || cfg.provision.dashboards.path == null;
        message = "Cannot set both dashboards settings and dashboards path";
      }
      {
        assertion = cfg.settings.security.secret_key != null;
        message = "Grafana's secret key (services.grafana.settings.security.secret_key) doesn't have a default value anymore.";
      }
    ];

    environment.systemPackages = [ cfg.package ];
    networking.firewall.allowedTCPPorts = lib.mkIf cfg.openFirewall [ cfg.settings.server.http_port ];

    systemd.services.grafana = {
      description = "Grafana Service Daemon";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" ];
      script = ''
        exec ${lib.getExe cfg.package} server -homepath ${cfg.dataDir} -config ${configFile}
      '';
      serviceConfig = {
        WorkingDirectory = cfg.dataDir;
        User = "grafana";
        Restart = "on-failure";
        RuntimeDirectory = "grafana";
        RuntimeDirectoryMode = "0755";
        ProtectSystem = "full";
        UMask = "0027";
      };
    };

    users.users.grafana = {
      uid = 196; # config.ids.uids.grafana
      description = "Grafana user";
      home = cfg.dataDir;
      createHome = true;
      group = "grafana";
    };
    users.groups.grafana = { };
  };
}
