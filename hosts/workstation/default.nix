# The large tier with an NVIDIA GPU: let ai-inference open the GPU devices.
{
  imports = [ (import ../common.nix (import ./facts.nix)) ];

  services.ai-stack.gpu.enable = true;
}
