#!/usr/bin/env bash
# Checks that the layers of src/ depend on each other one way only (docs/architecture.md):
#   models, protocol (ground) -> middleware -> loop -> repository -> handler -> hub, client
# A file may include a header of its own layer or of a layer below, never above: so handler
# (what the hub calls down into through an interface the hub owns) never includes a hub or
# client header.  Hub and client never include each other; a storage backend
# (src/repository/<backend>/) never includes another backend's header (what backends share
# lives in src/repository/*.h), and nothing above the repository includes a backend's header.
# A callback an upper layer registers is the one way up.  Prints each violation; exits 1 when
# there is one.
set -euo pipefail
cd "$(dirname "$0")/.."

rank() {
    case "$1" in
    models | protocol) echo 0 ;;
    middleware) echo 1 ;;
    loop) echo 2 ;;
    repository) echo 3 ;;
    handler) echo 4 ;;
    hub | client) echo 5 ;;
    *) echo -1 ;;
    esac
}

bad=0
while IFS= read -r file; do
    layer=$(echo "$file" | cut -d/ -f2)
    from=$(rank "$layer")
    if [ "$from" -lt 0 ]; then
        echo "check-layers: $file: src/$layer is not a known layer (add it to scripts/check-layers.sh)"
        bad=1
        continue
    fi
    backend=""
    case "$file" in src/repository/*/*) backend=$(echo "$file" | cut -d/ -f3) ;; esac
    while IFS= read -r inc; do
        target=$(echo "$inc" | cut -d/ -f1)
        to=$(rank "$target")
        [ "$to" -lt 0 ] && continue
        # Same rank: only hub and client are two layers there (models and protocol are one).
        if [ "$to" -gt "$from" ] || { [ "$to" -eq 5 ] && [ "$from" -eq 5 ] && [ "$target" != "$layer" ]; }; then
            echo "check-layers: $file includes $inc: $layer may not depend on $target"
            bad=1
        fi
        case "$inc" in
        repository/*/*)
            other=$(echo "$inc" | cut -d/ -f2)
            if [ "$layer" != "repository" ] || [ "$other" != "$backend" ]; then
                echo "check-layers: $file includes $inc: a backend's header is its own"
                bad=1
            fi
            ;;
        esac
    done < <(sed -n 's/^#include "\([a-z_]*\/[^"]*\)".*/\1/p' "$file")
done < <(find src -name '*.[ch]' | sort)
[ "$bad" -eq 0 ] && echo "check-layers: ok ($(find src -name '*.[ch]' | wc -l) files)"
exit "$bad"
