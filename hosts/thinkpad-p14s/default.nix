# Imports the shared host module with this host's facts; nothing else to set.
{
  imports = [ (import ../common.nix (import ./facts.nix)) ];
}
