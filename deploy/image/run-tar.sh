#!/usr/bin/env bash
# Runs an image tar made by `mvn -Pimage` without a container engine: unpacks its layers into a
# folder and starts its entrypoint there with chroot, as the image's user, with the image's
# environment and working directory, in private mount and PID namespaces. For checking an image
# where no Docker or containerd runs (needs root, python3, and unshare/chroot from util-linux and
# coreutils). No network or resource isolation: this is a check, not a container runtime.
#
# Usage: deploy/image/run-tar.sh IMAGE.tar [ARG...]
#   e.g. deploy/image/run-tar.sh modules/cli/target/rlft-image.tar --help
set -euo pipefail

die() { echo "run-tar: $*" >&2; exit 2; }
(($# >= 1)) || die "usage: $0 IMAGE.tar [ARG...]"
[[ -f "$1" ]] || die "no such file: $1"
image="$(realpath "$1")"; shift
((EUID == 0)) || die "needs root (chroot and mount namespaces)"
command -v python3 >/dev/null || die "needs python3 to read the image's JSON"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$work/image" "$rootfs"
tar -C "$work/image" -xf "$image"

# manifest.json and the config of the `docker save` format that jib:buildTar writes; one item per
# line in files, so that nothing is word-split or evaluated.
python3 - "$work" <<'EOF'
import json, os, sys
w = sys.argv[1]
d = os.path.join(w, "image")
manifest = json.load(open(os.path.join(d, "manifest.json")))[0]
config = json.load(open(os.path.join(d, manifest["Config"])))["config"]
def write(name, items):
    for item in items:
        if "\n" in item:
            sys.exit("run-tar: a newline inside " + name + " is not supported")
    with open(os.path.join(w, name), "w") as f:
        f.write("".join(item + "\n" for item in items))
write("layers", [os.path.join(d, layer) for layer in manifest["Layers"]])
write("user", [config.get("User") or "0:0"])
write("workdir", [config.get("WorkingDir") or "/"])
write("env", config.get("Env") or [])
write("entry", (config.get("Entrypoint") or []) + (config.get("Cmd") or []))
EOF

mapfile -t layers < "$work/layers"
mapfile -t envs < "$work/env"
mapfile -t entry < "$work/entry"
user="$(cat "$work/user")"
workdir="$(cat "$work/workdir")"
((${#entry[@]})) || die "the image has no entrypoint"

for layer in "${layers[@]}"; do
  # Whiteout files (.wh.*) delete lower-layer files in a real runtime; this check cannot apply them.
  if tar --warning=no-unknown-keyword -tf "$layer" | grep -q '\(^\|/\)\.wh\.'; then die "layer $layer has whiteouts; not supported"; fi
  tar -C "$rootfs" --warning=no-unknown-keyword -xf "$layer"
done
mkdir -p "$rootfs$workdir" "$rootfs/proc" "$rootfs/dev" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"

cat > "$work/inner.sh" <<'EOF'
set -euo pipefail
rootfs="$1" user="$2" workdir="$3" n="$4"
shift 4
envs=("${@:1:n}")
shift "$n"
mount -t proc proc "$rootfs/proc"
mount --rbind /dev "$rootfs/dev"
exec chroot --userspec="$user" "$rootfs" /usr/bin/env -i "${envs[@]}" \
  /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$workdir" "$@"
EOF
unshare --mount --pid --fork --propagation private \
  bash "$work/inner.sh" "$rootfs" "$user" "$workdir" "${#envs[@]}" "${envs[@]}" "${entry[@]}" "$@"
