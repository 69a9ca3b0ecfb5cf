# Port helpers over lib/ports.json, the single source of truth for ports. Pure: builtins only.
let
  ports = builtins.fromJSON (builtins.readFile ./ports.json);

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
    isPort
    portCollisions
    describeCollisions
    checkPorts
    ;
}
