#!/usr/bin/env bash
# Installs the .deb with `dpkg -i` in a throwaway root — a mount namespace where /usr, /etc and /var are
# overlays on tmpfs, so the host stays untouched — and smoke-tests it there: `mcready --version`, the man
# page found by `man -w` (man-db), and the bash completion loaded by bash-completion's loader.
# Usage: scripts/test-deb.sh path/to/mcready_VERSION_ARCH.deb   (needs root, util-linux, man-db, bash-completion)
set -euo pipefail
deb=$(realpath "$1")
[ "$(id -u)" = 0 ] || { echo "test-deb: needs root (mount namespace)" >&2; exit 2; }
for tool in unshare man dpkg; do command -v "$tool" >/dev/null || { echo "test-deb: needs $tool" >&2; exit 2; }; done
[ -f /usr/share/bash-completion/bash_completion ] || { echo "test-deb: needs bash-completion" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
unshare --mount --propagation private bash -euo pipefail -c '
  scratch=$1 deb=$2
  mount -t tmpfs tmpfs "$scratch"
  for dir in usr etc var; do
    mkdir -p "$scratch/$dir/upper" "$scratch/$dir/work"
    mount -t overlay overlay -o "lowerdir=/$dir,upperdir=$scratch/$dir/upper,workdir=$scratch/$dir/work" "/$dir"
  done
  dpkg -i "$deb" >/dev/null
  echo "installed: $(dpkg-query -W -f="\${Package} \${Version}" mcready)"
  mcready --version
  man -w mcready
  page=$(man -P cat mcready 2>/dev/null)
  case "$page" in *"Is this LAN ready"*) echo "man page: renders";; *) echo "man page does not render" >&2; exit 1;; esac
  # bash-completion finds the script by the command name (its loader returns 124: "completion loaded, retry").
  completion=$(bash -c "source /usr/share/bash-completion/bash_completion; _completion_loader mcready; complete -p mcready")
  case "$completion" in *" mcready") echo "completion: $completion";; *) echo "no bash completion" >&2; exit 1;; esac
  # And it completes: the words offered after `mcready ` include the commands.
  words=$(bash -c "source /usr/share/bash-completion/completions/mcready; COMP_WORDS=(mcready \"\"); COMP_CWORD=1; COMP_LINE=\"mcready \"; COMP_POINT=8; _mcready mcready \"\" mcready; echo \"\${COMPREPLY[*]}\"")
  case "$words" in *check*) echo "completes: $(echo "$words" | cut -c1-100)";; *) echo "completion offers no commands: $words" >&2; exit 1;; esac
  test -s /usr/share/zsh/vendor-completions/_mcready
  test -s /usr/share/fish/vendor_completions.d/mcready.fish
  echo "deb smoke test passed"
' test-deb "$scratch" "$deb"
