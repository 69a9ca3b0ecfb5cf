# Copy this directory to hosts/<your-host>/ and fill in the two facts; every
# other fact has a default (an aarch64 board booting with extlinux).
{
  hostname = "my-sbc";
  systemRamGb = 4;
}
