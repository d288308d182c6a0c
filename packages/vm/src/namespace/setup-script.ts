/**
 * The stage-1 setup, run by /bin/sh as root of the sandbox's fresh user namespace (host
 * tools, host OS directories read-only, nothing of any home). It mounts the root overlay(s),
 * writes /etc/hosts and the CA into the writable layer, then execs the inner bwrap ("$@")
 * that pivots into that root, adding read-only binds for what it could not write.
 *
 * Sandbox-controlled paths are never followed: every component of a path we write, in the
 * merged root or in an upper layer, is made a real directory first (the sandbox is not
 * running yet, so nothing can race us). Directories we write into are created in the upper
 * layer before mounting, so they belong to the sandbox's root even where the image's own
 * belong to ids outside the sandbox (a root-owned image unpacked without a shift, the
 * host's /etc).
 */
export const SETUP_SCRIPT = `set -eu
S=/tmp/sbx
R=$S/root
L=$S/layer
mkdir -p "$R"

ov() {
  chown 0:0 "$L/$2/upper" 2>/dev/null || true
  tries=0
  until mount -t overlay overlay -o "lowerdir=$1,upperdir=$L/$2/upper,workdir=$L/$2/work,userxattr" "$3"; do
    tries=$((tries + 1)); [ "$tries" -lt 20 ] || exit 1; sleep 0.05
  done
}

real_dir() {
  p=$1; rest=$2
  while [ -n "$rest" ]; do
    c=\${rest%%/*}
    if [ "$c" = "$rest" ]; then rest=; else rest=\${rest#*/}; fi
    [ -n "$c" ] || continue
    p=$p/$c
    if [ -L "$p" ] || { [ -e "$p" ] && [ ! -d "$p" ]; }; then rm -f "$p"; fi
    [ -d "$p" ] || mkdir -m 755 "$p"
  done
}

no_links() {
  p=$1; rest=$2
  for c in $(echo "$rest" | tr / ' '); do p=$p/$c; [ ! -L "$p" ] || return 1; done
  [ -f "$p" ]
}

put() {
  real_dir "$R" "\${2%/*}"
  rm -f "$R/$2"
  cat "$1" > "$R/$2"
  chmod 644 "$R/$2"
}

BINDS=
binds=0
place() {
  if (put "$1" "$2") 2>/dev/null; then return 0; fi
  if no_links "$R" "$2"; then
    binds=$((binds + 1))
    cat "$1" > "$S/bind.$binds"
    BINDS="$BINDS --ro-bind $S/bind.$binds /$2"
  fi
}

# The host template's lower layers for /$1: the host's directory, under a directory-only copy
# of its tree owned by the sandbox's root (built once per generation into $S/dirs, shared,
# never written after), so the sandbox's root may create files anywhere in it; they land in
# its upper layer. Without a generation in $SBX_DIRS (or if the copy fails) only the host's.
lower_of() {
  t=
  for g in $SBX_DIRS; do [ "\${g%-*}" != "$1" ] || t=$S/dirs/$g; done
  if [ -n "$t" ] && { [ -d "$t" ] || dir_tree "/$1" "$t"; }; then
    echo "$t:/$1"
  else
    echo "/$1"
  fi
}

dir_tree() {
  mkdir -p "\${2%/*}" || return 1
  n=$(mktemp -d "$2.new.XXXXXX") || return 1
  (umask 022; cd "$1" && find . -xdev -mindepth 1 -type d -print0 2>/dev/null | (cd "$n" && xargs -0r mkdir -p)) || true
  (cd "$1" && find . -xdev -mindepth 1 -type d ! -perm 755 -exec sh -c 'for p; do chmod --reference="$p" "$0/$p"; done' "$n" {} + 2>/dev/null) || true
  chmod --reference="$1" "$n"
  mv -T "$n" "$2" 2>/dev/null || rm -rf "$n"
  [ -d "$2" ]
}

CA=
[ ! -f "$S/stage/ca.pem" ] || CA=1
if [ "$SBX_TEMPLATE" = host ]; then
  [ -z "$CA" ] || { real_dir "$L/etc/upper" ssl/certs; real_dir "$L/usr/upper" local/share/ca-certificates; }
  K=$S/skel
  for d in $SBX_PARTS home root tmp var/tmp run proc dev sys mnt srv; do mkdir -p "$K/$d"; done
  for l in $SBX_LINKS; do ln -s "\${l#*=}" "$K/\${l%%=*}"; done
  ov "$K" root "$R"
  for d in $SBX_PARTS; do real_dir "$R" "$d"; ov "$(lower_of "$d")" "$d" "$R/$d"; done
  LOWER=/
else
  real_dir "$L/root/upper" etc
  [ -z "$CA" ] || { real_dir "$L/root/upper" etc/ssl/certs; real_dir "$L/root/upper" usr/local/share/ca-certificates; }
  ov "$S/lower" root "$R"
  LOWER=$S/lower
fi

place "$S/stage/hosts" etc/hosts
place "$S/stage/hostname" etc/hostname
if [ -n "$CA" ]; then
  B=$S/bundle.pem
  : > "$B"
  if { [ "$SBX_TEMPLATE" = host ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; } ||
    no_links "$LOWER" etc/ssl/certs/ca-certificates.crt; then
    cat "$LOWER/etc/ssl/certs/ca-certificates.crt" >> "$B"
    echo >> "$B"
  fi
  cat "$S/stage/ca.pem" >> "$B"
  place "$B" etc/ssl/certs/ca-certificates.crt
  place "$S/stage/ca.pem" usr/local/share/ca-certificates/sbx-sandbox-ca.crt
  BINDS="$BINDS --perms 0755 --dir /run/sbx --ro-bind $B /run/sbx/ca-bundle.pem"
fi
if [ -n "$SBX_HOME" ] && [ ! -e "$R$SBX_HOME" ]; then
  real_dir "$R" "$SBX_HOME"
  chown "$SBX_UID:$SBX_GID" "$R$SBX_HOME"
  chmod 700 "$R$SBX_HOME"
fi
# The init: the image's sleep under bwrap's reaping pid 1, so orphans are reaped; without
# a sleep, pid 1 itself blocks on a socket of the controlling process (no reaping).
SLEEP=
for s in usr/bin/sleep bin/sleep; do
  if [ -f "$R/$s" ] || [ -L "$R/$s" ]; then SLEEP=/$s; break; fi
done
# BINDS holds fixed, space-free paths: split on purpose.
if [ -n "$SLEEP" ]; then
  eval "exec $SBX_INIT_FD>&-"
  exec bwrap "$@" $BINDS -- "$SLEEP" 2147483647
fi
exec bwrap "$@" $BINDS --block-fd "$SBX_INIT_FD" -- /.sbx-init-released
`;
