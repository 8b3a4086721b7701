#!/usr/bin/env bash
# Makes the certificates for Artery over TLS with mutual authentication (rlft-tls.conf):
# a cluster CA, one PKCS#12 keystore per node signed by it, and a truststore holding only the CA.
#
# Usage: deploy/make-certs.sh [--out DIR] [--days N] [--dns NAME]... NODE...
#   NODE       a node name; becomes the certificate's CN and a DNS subject alternative name.
#   --out DIR  where to write (default: certs). Run again with the same DIR to add nodes:
#              the CA in DIR/ca.p12 is reused, existing node keystores are kept.
#   --days N   validity of new certificates in days (default 365).
#   --dns NAME extra DNS subject alternative name on every new node certificate (repeatable),
#              e.g. --dns '*.rlft.rlft.svc.cluster.local'.
#
# Writes to DIR:
#   ca.p12          the CA's private key. Keep it off the cluster (it signs new members).
#   ca.crt          the CA certificate (PEM).
#   truststore.p12  the CA certificate only; every node gets this file.
#   NODE.p12        NODE's private key and certificate chain; only NODE gets this file.
#   password        the password of every store above (mode 600). Taken from the environment
#                   variable RLFT_TLS_PASSWORD if set, else random on first use.
#
# Needs only keytool (part of every JDK). Keys are EC P-256, signatures SHA256withECDSA,
# certificates carry extended key usage serverAuth+clientAuth (a node is both client and server).
set -euo pipefail

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "make-certs: $*" >&2; exit 2; }

out=certs
days=365
dns=()
nodes=()
while (($#)); do
  case "$1" in
    --out) [[ $# -ge 2 ]] || die "--out needs a directory"; out="$2"; shift 2 ;;
    --days) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--days needs a positive whole number"; days="$2"; shift 2 ;;
    --dns) [[ $# -ge 2 && -n "$2" ]] || die "--dns needs a name"; dns+=("$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [[ "$1" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] \
         || die "node name '$1' must be letters, digits, '.' and '-' (a DNS name)"
       nodes+=("$1"); shift ;;
  esac
done
((${#nodes[@]})) || { usage >&2; die "name at least one node"; }

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/keytool" ]]; then
  keytool="$JAVA_HOME/bin/keytool"
else
  keytool="$(command -v keytool)" || die "keytool not found (install a JDK or set JAVA_HOME)"
fi
# keytool is a short-lived JVM: skip the optimising compiler, it only slows start-up.
kt() { "$keytool" -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC "$@"; }

umask 077
mkdir -p "$out"
pwfile="$out/password"
if [[ -n "${RLFT_TLS_PASSWORD:-}" ]]; then
  ((${#RLFT_TLS_PASSWORD} >= 6)) || die "RLFT_TLS_PASSWORD must have at least 6 characters (PKCS#12)"
  if [[ -f "$pwfile" && "$(cat "$pwfile")" != "$RLFT_TLS_PASSWORD" ]]; then
    die "$pwfile holds a different password than RLFT_TLS_PASSWORD"
  fi
  printf '%s' "$RLFT_TLS_PASSWORD" > "$pwfile"
elif [[ ! -f "$pwfile" ]]; then
  # 24 random bytes as 32 URL-safe characters; safe inside HOCON strings and shell variables.
  head -c 24 /dev/urandom | base64 | tr '+/' '-_' > "$pwfile.tmp"
  tr -d '\n' < "$pwfile.tmp" > "$pwfile" && rm -f "$pwfile.tmp"
fi
pw="$(cat "$pwfile")"
export RLFT_TLS_STOREPASS="$pw"   # read by keytool (-storepass:env), never on a command line
sp=(-storepass:env RLFT_TLS_STOREPASS)
kp=(-keypass:env RLFT_TLS_STOREPASS)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [[ ! -f "$out/ca.p12" ]]; then
  kt -genkeypair -storetype PKCS12 -keystore "$out/ca.p12" "${sp[@]}" "${kp[@]}" -alias ca \
    -dname "CN=rlft cluster CA" -keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA -validity "$days" \
    -ext bc:c=ca:true,pathlen:0 -ext ku:c=keyCertSign,cRLSign
  echo "make-certs: new CA in $out/ca.p12" >&2
else
  echo "make-certs: reusing the CA in $out/ca.p12" >&2
fi
kt -exportcert -rfc -keystore "$out/ca.p12" "${sp[@]}" -alias ca -file "$out/ca.crt"
if [[ ! -f "$out/truststore.p12" ]]; then
  kt -importcert -noprompt -storetype PKCS12 -keystore "$out/truststore.p12" "${sp[@]}" \
    -alias rlft-ca -file "$out/ca.crt" >/dev/null
fi

for node in "${nodes[@]}"; do
  ks="$out/$node.p12"
  if [[ -f "$ks" ]]; then
    echo "make-certs: keeping $ks" >&2
    continue
  fi
  san="dns:$node"
  for d in "${dns[@]+"${dns[@]}"}"; do san+=",dns:$d"; done
  # Built under a temporary name and moved into place only when complete.
  part="$tmp/$node.p12"
  kt -genkeypair -storetype PKCS12 -keystore "$part" "${sp[@]}" "${kp[@]}" -alias node \
    -dname "CN=$node" -keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA -validity "$days"
  kt -certreq -keystore "$part" "${sp[@]}" -alias node -file "$tmp/$node.csr"
  kt -gencert -keystore "$out/ca.p12" "${sp[@]}" -alias ca -infile "$tmp/$node.csr" -rfc \
    -outfile "$tmp/$node.crt" -validity "$days" -sigalg SHA256withECDSA \
    -ext ku:c=digitalSignature -ext eku=serverAuth,clientAuth -ext "san=$san"
  # The reply with its full chain (node, CA), so the keystore presents the chain in handshakes.
  cat "$tmp/$node.crt" "$out/ca.crt" > "$tmp/$node.chain"
  kt -importcert -noprompt -keystore "$part" "${sp[@]}" "${kp[@]}" -alias node -file "$tmp/$node.chain" >/dev/null
  mv "$part" "$ks"
  echo "make-certs: $ks (CN=$node, $san, $days days)" >&2
done
echo "make-certs: done; the password of every store is in $pwfile" >&2
