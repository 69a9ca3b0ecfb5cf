# checks.<system>.lib-eval: the pure library's evaluation tests (lib-cases.nix).
# Evaluation fails with the failing cases listed; otherwise an empty marker.
{ pkgs }:
let
  failures = import ./lib-cases.nix;
in
if failures == [ ] then
  pkgs.runCommand "ai-stack-lib-eval" { } "touch $out"
else
  throw "ai-stack lib tests failed: ${builtins.toJSON failures}"
