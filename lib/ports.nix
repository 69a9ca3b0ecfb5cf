# Port helpers over lib/ports.json, the single source of truth for ports. Pure: builtins only.
let
  ports = builtins.fromJSON (builtins.readFile ./ports.json);

  # Where every service of the stack listens (and is called).
  loopback = "127.0.0.1";

  # The services whose JSON config nix/modules renders from
  # services.ai-stack.settings.<name>: the unit that runs it, the service whose
  # config schema reads it (`aq serve <service>`, `aq config check --service
  # <service>`) and the lib/ports.json entry it listens on. That entry is the
  # only source of the port: the module renders it into settings.<name>.port,
  # and monitoring, Open WebUI and the other services' URLs read the same one.
  settingsServices = {
    inference = {
      unit = "ai-inference";
      service = "inference";
      port = "inferenceChat";
    };
    embeddings = {
      unit = "ai-embeddings";
      service = "inference";
      port = "inferenceEmbed";
    };
    aidb = {
      unit = "ai-aidb";
      service = "aidb";
      port = "aidb";
    };
    coordinator = {
      unit = "ai-coordinator";
      service = "coordinator";
      port = "coordinator";
    };
  };

  isPort = p: builtins.isInt p && p >= 1 && p <= 65535;

  # { name = port; ... } -> [ { port; names = [ ... ]; } ] for every port used more than once.
  # Entries whose value is null (an optional service without a port) are ignored.
  portCollisions =
    attrs:
    let
      names = builtins.filter (n: attrs.${n} != null) (builtins.attrNames attrs);
      invalid = builtins.filter (n: !(isPort attrs.${n})) names;
      byPort = builtins.foldl' (
        acc: n:
        let
          key = toString attrs.${n};
        in
        acc // { ${key} = (acc.${key} or [ ]) ++ [ n ]; }
      ) { } names;
      shared = builtins.filter (k: builtins.length byPort.${k} > 1) (builtins.attrNames byPort);
    in
    if invalid != [ ] then
      throw "ports: not a TCP port (1-65535): ${builtins.concatStringsSep ", " (map (n: "${n}=${builtins.toJSON attrs.${n}}") invalid)}"
    else
      map (k: {
        port = builtins.fromJSON k;
        names = byPort.${k};
      }) shared;

  describeCollisions =
    collisions:
    builtins.concatStringsSep "; " (
      map (c: "port ${toString c.port} is used by ${builtins.concatStringsSep " and " c.names}") collisions
    );

  # Returns `attrs` when no two entries share a port, throws otherwise.
  checkPorts =
    attrs:
    let
      c = portCollisions attrs;
    in
    if c == [ ] then attrs else throw "ports: collision: ${describeCollisions c}";
in
{
  inherit
    ports
    loopback
    settingsServices
    isPort
    portCollisions
    describeCollisions
    checkPorts
    ;
}
