#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter, or fail with one line saying what to install.
# Order: $PYTHON, python3.13/python3.12/python3 on PATH, then pyenv's installed versions.
# pyenv shims answer "command not found" for versions that are installed but not selected,
# so each candidate is asked for its version rather than trusted by name.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for cand in ${PYTHON:-} python3.13 python3.12 python3; do
  p=$(command -v "$cand" 2>/dev/null) || continue
  if ok "$p"; then "$p" -c 'import sys; print(sys.executable)'; exit 0; fi
done
roots=()
command -v pyenv >/dev/null 2>&1 && roots+=("$(pyenv root)/versions")
roots+=("${PYENV_ROOT:-$HOME/.pyenv}/versions" /usr/local/bin /usr/bin)
for root in "${roots[@]}"; do
  for p in "$root"/3.1[2-9]*/bin/python3 "$root"/python3.1[2-9]; do
    [ -x "$p" ] && ok "$p" && { echo "$p"; exit 0; }
  done
done
echo "gapbayes needs Python >= 3.12 (pymc 6 does): install it (e.g. 'pyenv install 3.12' or your OS package python3.12) or set PYTHON=/path/to/python3.12" >&2
exit 1
