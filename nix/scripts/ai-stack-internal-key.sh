# ai-stack-internal-key FILE: makes the key the stack's services present to
# each other, once. FILE gets "aqk_" and 32 random bytes in base64url (256
# bits), mode 0600, written to a temporary file first and renamed, so a unit
# reading it never sees half a key. An existing non-empty FILE is kept: the
# key survives reboots and upgrades. The key is never printed.
set -euo pipefail

file=${1:?usage: ai-stack-internal-key FILE}
if [ -s "$file" ]; then
  exit 0
fi
umask 077
key=$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
printf 'aqk_%s\n' "$key" > "$file.new"
mv "$file.new" "$file"
