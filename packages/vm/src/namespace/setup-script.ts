/**
 * The stage-1 setup, run by /bin/sh as root of the sandbox's fresh user namespace (host
 * tools, host OS directories read-only, nothing of any home). It mounts the root overlay(s),
 * writes /etc/hosts and the CA bundle into the writable layer, then execs the inner bwrap
 * ("$@") that pivots into that root. Sandbox-controlled paths are never followed: every
 * component of a path we write is made a real directory first (the sandbox is not running
 * yet, so nothing can race us).
 */
export const SETUP_SCRIPT = `set -eu
S=/tmp/sbx
R=$S/root
mkdir -p "$R"

ov() {
  chown 0:0 "$S/layer/$2/upper" 2>/dev/null || true
  n=0
  until mount -t overlay overlay -o "lowerdir=$1,upperdir=$S/layer/$2/upper,workdir=$S/layer/$2/work,userxattr" "$3"; do
    n=$((n + 1)); [ "$n" -lt 20 ] || exit 1; sleep 0.05
  done
}

real_dir() {
  p=$R; rest=$1
  while [ -n "$rest" ]; do
    c=\${rest%%/*}
    if [ "$c" = "$rest" ]; then rest=; else rest=\${rest#*/}; fi
    [ -n "$c" ] || continue
    p=$p/$c
    if [ -L "$p" ] || { [ -e "$p" ] && [ ! -d "$p" ]; }; then rm -f "$p"; fi
    [ -d "$p" ] || mkdir -m 755 "$p"
  done
}

put() {
  real_dir "\${2%/*}"
  rm -f "$R/$2"
  cat "$1" > "$R/$2"
  chmod 644 "$R/$2"
}

no_links() {
  p=$1; rest=$2
  for c in $(echo "$rest" | tr / ' '); do p=$p/$c; [ ! -L "$p" ] || return 1; done
  [ -f "$p" ]
}

if [ "$SBX_TEMPLATE" = host ]; then
  K=$S/skel
  for d in $SBX_PARTS home root tmp var/tmp run proc dev sys mnt srv; do mkdir -p "$K/$d"; done
  for l in $SBX_LINKS; do ln -s "\${l#*=}" "$K/\${l%%=*}"; done
  ov "$K" root "$R"
  for d in $SBX_PARTS; do real_dir "$d"; ov "/$d" "$d" "$R/$d"; done
  LOWER=/
else
  ov "$S/lower" root "$R"
  LOWER=$S/lower
fi

put "$S/stage/hosts" etc/hosts
put "$S/stage/hostname" etc/hostname
if [ -f "$S/stage/ca.pem" ]; then
  B=/tmp/bundle.pem
  : > "$B"
  if { [ "$SBX_TEMPLATE" = host ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; } ||
    no_links "$LOWER" etc/ssl/certs/ca-certificates.crt; then
    cat "$LOWER/etc/ssl/certs/ca-certificates.crt" >> "$B"
    echo >> "$B"
  fi
  cat "$S/stage/ca.pem" >> "$B"
  put "$B" etc/ssl/certs/ca-certificates.crt
  put "$B" etc/sbx/ca-bundle.pem
  put "$S/stage/ca.pem" usr/local/share/ca-certificates/sbx-sandbox-ca.crt
fi
if [ -n "$SBX_HOME" ] && [ ! -e "$R$SBX_HOME" ]; then
  real_dir "$SBX_HOME"
  chown "$SBX_UID:$SBX_GID" "$R$SBX_HOME"
  chmod 700 "$R$SBX_HOME"
fi
exec bwrap "$@"
`;
