#!/usr/bin/env bash
# Builds a Java 17 runtime base image from Debian packages, as a tar in `docker save` format, for
# building the rlft image where no container registry is reachable:
#
#   deploy/image/debian-base.sh target/rlft-base.tar
#   mvn -B -Pimage -DskipTests -pl modules/cli -am package -Drlft.image.base=tar://$PWD/target/rlft-base.tar
#
# Usage: deploy/image/debian-base.sh OUT.tar [MIRROR]
#   MIRROR  a Debian mirror (default: the one apt uses here, else http://deb.debian.org/debian)
#
# Needs mmdebstrap (apt-get install mmdebstrap) and a Debian mirror; no Docker daemon, no registry.
# The image: Debian 12 (bookworm) with openjdk-17-jre-headless and libstdc++ (for the PyTorch
# native library, which rlft carries in its own jar). One layer, about 330 MB uncompressed.
set -euo pipefail

die() { echo "debian-base: $*" >&2; exit 2; }
(($# >= 1 && $# <= 2)) || die "usage: $0 OUT.tar [MIRROR]"
out="$1"
mirror="${2:-}"
command -v mmdebstrap >/dev/null || die "mmdebstrap not found (apt-get install mmdebstrap)"
[[ "$out" == *.tar ]] || die "OUT must end in .tar"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Documentation and translations are never read in a container; the licences (copyright) stay.
# (Man pages stay too: excluding them breaks the JRE's update-alternatives links.)
mmdebstrap --variant=minbase --components=main \
  --include=openjdk-17-jre-headless,libstdc++6 \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  bookworm "$work/layer.tar" ${mirror:+"$mirror"}

diff_id="sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
java_home=/usr/lib/jvm/java-17-openjdk-amd64
cat > "$work/config.json" <<EOF
{"architecture":"amd64","os":"linux",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=$java_home","LANG=C.UTF-8"]},
 "rootfs":{"type":"layers","diff_ids":["$diff_id"]},
 "history":[{"created_by":"deploy/image/debian-base.sh: mmdebstrap bookworm openjdk-17-jre-headless"}]}
EOF
config_id="$(sha256sum "$work/config.json" | cut -d' ' -f1)"
mv "$work/config.json" "$work/$config_id.json"
cat > "$work/manifest.json" <<EOF
[{"Config":"$config_id.json","RepoTags":["rlft-base:bookworm-jre17"],"Layers":["layer.tar"]}]
EOF

mkdir -p "$(dirname "$out")"
tar -C "$work" -cf "$out.part" manifest.json "$config_id.json" layer.tar
mv "$out.part" "$out"
echo "debian-base: $out ($(du -h "$out" | cut -f1)), use -Drlft.image.base=tar://$(realpath "$out")" >&2
