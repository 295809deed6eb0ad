#!/usr/bin/env bash
# Installs Brankas on this machine for production use.
#
#   deploy/install.sh [--prefix DIR] [--build-dir DIR] [--no-build] [--dry-run]
#
#   --prefix DIR     binaries go to DIR/bin (default /usr/local)
#   --build-dir DIR  where the build is (default build/install; with --no-build
#                    the first of build/install, build/release, build that
#                    holds all three binaries)
#   --no-build       use binaries already built; install no packages
#   --dry-run        print what would be done, change nothing (needs no root)
#
# What it does, each step safe to repeat (running it twice changes nothing
# the second time):
#   1. installs the Debian build dependencies and builds (unless --no-build):
#      release, no tests, built-in config dir /etc/brankas
#   2. checks every shared library the binaries need is present
#   3. creates the system group and user `brankas` (no login shell,
#      home /var/lib/brankas) and /var/lib/brankas (0700, brankas)
#   4. installs brankasd, brankas and brankas-bench to PREFIX/bin (0755)
#   5. installs unit.toml, central.toml, schema.toml and policy.toml to
#      /etc/brankas, never overwriting an existing file: an edited one is
#      kept and the shipped version is put beside it as FILE.dist
#   6. installs the systemd units and reloads systemd if systemd is running
# and prints the next steps (create the node, edit the config, enable,
# unseal). It never creates a node, starts the server or touches node data.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

# Fixed locations: the systemd units, the configs' defaults and the binaries'
# built-in config dir (BRANKAS_DEFAULT_CONFIG_DIR below) all name them.
config_dir=/etc/brankas
state_dir=/var/lib/brankas
unit_dir=/etc/systemd/system # admin-local units; overrides go in drop-ins
service_user=brankas
binaries=(brankasd brankas brankas-bench)
configs=(unit.toml central.toml schema.toml policy.toml)
units=(brankasd.service brankasd-central.service)

prefix=/usr/local
build_dir=""
build=1
dry_run=0

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --build-dir) [ $# -ge 2 ] || usage; build_dir=$2; shift 2 ;;
    --build-dir=*) build_dir=${1#*=}; shift ;;
    --no-build) build=0; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "install: unknown argument '$1'" >&2; usage ;;
  esac
done

case "$prefix" in
  /*) prefix=${prefix%/}; [ -n "$prefix" ] || prefix=/ ;;
  *) echo "install: --prefix must be an absolute path" >&2; exit 2 ;;
esac
bin_dir="${prefix%/}/bin"

say() { echo "install: $*"; }
die() { echo "install: error: $*" >&2; exit 1; }

# run CMD...: prints it (shell-quoted), then runs it unless --dry-run. Every
# change this script makes goes through here, so its output is the record of
# what was changed.
run() {
  if [ "$dry_run" -eq 1 ]; then printf 'would run:'; else printf 'install: +'; fi
  printf ' %q' "$@"
  printf '\n'
  if [ "$dry_run" -eq 0 ]; then "$@"; fi
}

# ensure_dir MODE OWNER GROUP DIR: a directory of ours. Created, or its mode
# and owner put right (never its contents); left alone when already right.
ensure_dir() {
  local mode=$1 owner=$2 group=$3 dir=$4
  if [ -d "$dir" ] && [ "$(stat -L -c '%a %U %G' "$dir")" = "${mode#0} $owner $group" ]; then
    say "$dir is up to date"
  else
    run install -d -m "$mode" -o "$owner" -g "$group" "$dir"
  fi
}

# make_dir DIR: a directory that is not ours (PREFIX/bin, the unit dir):
# created if missing, an existing one is never changed (on some systems
# /usr/local/bin is group staff, setgid, on purpose).
make_dir() {
  if [ ! -d "$1" ]; then run mkdir -p -m 0755 "$1"; fi
}

if [ "$dry_run" -eq 1 ]; then
  say "dry run: nothing will be changed"
elif [ "$(id -u)" -ne 0 ]; then
  die "run as root (it creates a system user and writes to $bin_dir, $config_dir and $unit_dir), or try --dry-run"
fi

# --- 1. Dependencies and build -------------------------------------------------

has_binaries() {
  local dir=$1 b
  for b in "${binaries[@]}"; do
    [ -x "$dir/tools/$b" ] || return 1
  done
}

if [ "$build" -eq 1 ]; then
  build_dir=${build_dir:-"$root/build/install"}
  run bash "$root/deploy/install-deps.sh"
  # A build dir of its own, so the test build (build/release, tests on) is not
  # reconfigured. Tests off: deploy/test.sh is where they run. Warnings are not
  # errors here: a newer compiler's new warning must not block an install.
  # The built-in config dir is where the installed configs live, so `brankas`
  # finds schema.toml without flags.
  build_cmd=(bash "$root/deploy/build.sh" "$build_dir"
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRANKAS_BUILD_TESTS=OFF -DBRANKAS_WERROR=OFF
    "-DBRANKAS_DEFAULT_CONFIG_DIR=$config_dir")
  # Build as whoever owns the source tree, so `sudo deploy/install.sh` does
  # not leave root-owned files in a developer's checkout.
  owner=$(stat -c %U "$root")
  if [ "$owner" != root ] && [ "$(id -u)" -eq 0 ] && id -u "$owner" >/dev/null 2>&1; then
    run runuser -u "$owner" -- "${build_cmd[@]}"
  else
    run "${build_cmd[@]}"
  fi
else
  if [ -z "$build_dir" ]; then
    for candidate in "$root/build/install" "$root/build/release" "$root/build"; do
      if has_binaries "$candidate"; then build_dir=$candidate; break; fi
    done
    [ -n "$build_dir" ] || die "--no-build: no build holding ${binaries[*]} under $root/build{/install,/release,}; build first or pass --build-dir"
  fi
  has_binaries "$build_dir" || die "--no-build: $build_dir/tools lacks one of ${binaries[*]}"
fi
build_dir=$(cd "$build_dir" 2>/dev/null && pwd || echo "$build_dir")
say "binaries from $build_dir/tools"

# A build configured for development looks for schema.toml in the source
# tree's config/, not in /etc/brankas; say so (BRANKAS_CONFIG_DIR fixes it).
cache="$build_dir/CMakeCache.txt"
if [ -f "$cache" ]; then
  built_config_dir=$(sed -n 's/^BRANKAS_DEFAULT_CONFIG_DIR:PATH=//p' "$cache")
  if [ -n "$built_config_dir" ] && [ "$built_config_dir" != "$config_dir" ]; then
    say "warning: this build looks for its config in $built_config_dir, not $config_dir;"
    say "         set BRANKAS_CONFIG_DIR=$config_dir when running brankas (the systemd unit does not need it)"
  fi
fi

# --- 2. Runtime libraries ------------------------------------------------------
# Checked before anything is installed: a binary missing a library must not
# replace a working one.

if has_binaries "$build_dir"; then
  for b in "${binaries[@]}"; do
    if missing=$(ldd "$build_dir/tools/$b" 2>&1 | grep 'not found'); then
      echo "$missing" >&2
      die "$b needs shared libraries that are not installed; run deploy/install-deps.sh"
    fi
  done
  say "runtime libraries present"
elif [ "$dry_run" -eq 1 ]; then
  say "(the binaries do not exist yet; the build above would make them)"
else
  die "the build did not produce ${binaries[*]} in $build_dir/tools"
fi

# --- 3. User, group and state directory -------------------------------------------

if getent group "$service_user" >/dev/null; then
  say "group $service_user exists"
else
  run groupadd --system "$service_user"
fi
if getent passwd "$service_user" >/dev/null; then
  # Existing account: kept as it is (an admin may have had reasons), but a
  # login shell or another home is worth a word.
  IFS=: read -r _ _ _ _ _ home shell < <(getent passwd "$service_user")
  say "user $service_user exists (home $home, shell $shell)"
  case "$shell" in
    */nologin | */false) ;;
    *) say "warning: user $service_user has a login shell ($shell); consider: usermod -s /usr/sbin/nologin $service_user" ;;
  esac
  [ "$home" = "$state_dir" ] || say "warning: user $service_user's home is $home, not $state_dir"
else
  # --no-create-home: the directory is made below with the exact mode and
  # without /etc/skel's dotfiles.
  run useradd --system --gid "$service_user" --home-dir "$state_dir" --no-create-home \
    --shell /usr/sbin/nologin --comment "Brankas case-record vault" "$service_user"
fi

# 0700: the data directory holds ciphertext, the sealed root key and the TLS
# private key; nobody but the service account lists it.
ensure_dir 0700 "$service_user" "$service_user" "$state_dir"

# --- 4. Binaries -----------------------------------------------------------------

make_dir "$bin_dir"
binaries_changed=0
for b in "${binaries[@]}"; do
  if [ -f "$bin_dir/$b" ] && cmp -s "$build_dir/tools/$b" "$bin_dir/$b"; then
    say "$bin_dir/$b is up to date"
  else
    run install -m 0755 "$build_dir/tools/$b" "$bin_dir/$b"
    binaries_changed=1
  fi
done

# --- 5. Configuration ------------------------------------------------------------
# root owns the configs and brankas may only read them (group, 0640): a
# compromised server cannot rewrite its own policy.

ensure_dir 0750 root "$service_user" "$config_dir"
kept=()
for c in "${configs[@]}"; do
  src="$root/config/$c"
  dest="$config_dir/$c"
  if [ ! -e "$dest" ]; then
    run install -m 0640 -o root -g "$service_user" "$src" "$dest"
  elif cmp -s "$src" "$dest"; then
    say "$dest is up to date"
    # The admin adopted the shipped version: an old .dist is only noise now.
    if [ -e "$dest.dist" ]; then run rm -f "$dest.dist"; fi
  else
    # Edited by the admin (or an older release): keep it, ship beside it.
    if [ -e "$dest.dist" ] && cmp -s "$src" "$dest.dist"; then
      say "$dest kept (edited); $dest.dist is up to date"
    else
      run install -m 0640 -o root -g "$service_user" "$src" "$dest.dist"
      say "$dest kept (edited); the shipped version is in $dest.dist"
    fi
    kept+=("$dest")
  fi
done

# --- 6. systemd units ---------------------------------------------------------------
# Installed even where systemd is not running (a container, a chroot): they
# are plain files and a later boot with systemd uses them. The units name
# /usr/local/bin; another --prefix is written into ExecStart.

make_dir "$unit_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for u in "${units[@]}"; do
  sed "s#^ExecStart=/usr/local/bin/#ExecStart=$bin_dir/#" "$root/deploy/systemd/$u" >"$tmp/$u"
  if [ -f "$unit_dir/$u" ] && cmp -s "$tmp/$u" "$unit_dir/$u"; then
    say "$unit_dir/$u is up to date"
  else
    run install -m 0644 "$tmp/$u" "$unit_dir/$u"
  fi
done

# /run/systemd/system exists only when systemd is PID 1 (the test
# sd_booted() makes); systemctl would fail anywhere else.
systemd_running=0
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  systemd_running=1
  run systemctl daemon-reload
else
  say "systemd is not running here (PID 1 is $(cat /proc/1/comm 2>/dev/null || echo unknown)): skipped systemctl daemon-reload"
fi

# --- Next steps ---------------------------------------------------------------------

cat <<EOF

$([ "$dry_run" -eq 1 ] && echo "Dry run done: nothing was changed." || echo "Brankas is installed.")
EOF
if [ ${#kept[@]} -gt 0 ]; then
  echo
  echo "Your edited configuration was kept. Compare it with the shipped version:"
  for f in "${kept[@]}"; do echo "  diff -u $f $f.dist"; done
fi
if [ "$binaries_changed" -eq 1 ] && [ "$systemd_running" -eq 1 ] &&
  systemctl is-active --quiet brankasd 2>/dev/null; then
  echo
  echo "brankasd is running the old binary: 'systemctl restart brankasd' (it comes back SEALED)."
fi
cat <<EOF

Next steps:
  1. Create the node as the $service_user user. It asks for the unit passphrase
     twice and prints the recovery shares ONCE: hand each to a different custodian.
       runuser -u $service_user -- $bin_dir/brankas init --data-dir $state_dir/data \\
           --unit CODE --shares 5 --threshold 3
  2. Edit $config_dir/unit.toml: api.listen, and api.tls_cert / api.tls_key
     (brankas init writes a self-signed pair into $state_dir/tls; replace it
     with your own certificate, owner $service_user, mode 0600).
     Check it:  $bin_dir/brankasd --config $config_dir/unit.toml --check
  3. Start it at boot and now:
       systemctl enable --now brankasd
       journalctl -u brankasd -f
  4. It starts SEALED. Unseal it with the passphrase, or with K recovery
     shares, one --share call per custodian:
       $bin_dir/brankas unseal --server https://127.0.0.1:8443 --ca $state_dir/tls/cert.pem
     Every restart, including after a crash, needs this again.
EOF
if [ "$systemd_running" -eq 0 ]; then
  cat <<EOF

Without systemd, run it in the foreground as $service_user (logs on stderr),
with the limits the unit would set:
       prlimit --core=0 --memlock=67108864 -- \\
           runuser -u $service_user -- $bin_dir/brankasd --config $config_dir/unit.toml
EOF
fi
