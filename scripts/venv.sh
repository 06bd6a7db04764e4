# Shared by ./serve and ./test: create .venv if missing and install the pinned
# dependencies whenever pyproject.toml or constraints.txt changed since the last install.
# POSIX shell; sourced, not executed.

root=$(cd "$(dirname "$0")" && pwd)
venv="$root/.venv"
python=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
    echo "Creating the virtual environment in $venv ..."
    "$python" -m venv "$venv" || exit 1
fi

stamp="$venv/.stadtkasse-installed"
wanted=$(cat "$root/pyproject.toml" "$root/constraints.txt" | cksum)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    # A lock folder keeps ./serve and ./test, started together, from installing at once.
    lock="$venv/.install-lock"
    waited=0
    while ! mkdir "$lock" 2>/dev/null; do
        [ "$waited" -ge 600 ] && { echo "Another install holds $lock; remove it if stale."; exit 1; }
        sleep 1
        waited=$((waited + 1))
    done
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
        echo "Installing the pinned dependencies ..."
        if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            -c "$root/constraints.txt" -e "$root[test]"; then
            rmdir "$lock"
            exit 1
        fi
        echo "$wanted" > "$stamp"
    fi
    rmdir "$lock"
fi

PATH="$venv/bin:$PATH"
export PATH
cd "$root" || exit 1
