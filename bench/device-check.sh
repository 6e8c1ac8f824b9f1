#!/usr/bin/env bash
# Runs the tilestyle device check from the bundle made by `npm run bundle:device`, on a Linux x86-64
# machine that needs neither Node nor a network: unpacks the bundle into a temporary folder, makes
# the Vulkan loader available for WebGPU, and runs the check with the bundled node.
#
#   bash device-check.sh [--device webgpu|cpu|cuda:N] [--bundle FILE] [--keep] [check options…]
#
# Check options (passed on): --sizes 256,512,1024  --reps 3  --parity-size 256  --tolerance 1e-3
#   --threads N  --no-job  --no-cpu-steps  --out result.png  --content FILE --style FILE (in the bundle's fixtures)
# Exit status: 0 passed, 1 a check failed or the device fell back to the CPU, 2 bad usage or setup.
set -euo pipefail

# Under `env -i` nothing is set: give the usual system paths.
export PATH="${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}"
if [[ -d /usr/local/nvidia/bin ]]; then PATH="$PATH:/usr/local/nvidia/bin"; fi
unset NODE_OPTIONS NODE_PATH

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
device=webgpu
bundle=""
keep=0
pass=()

die() {
  echo "device-check: $*" >&2
  exit 2
}

while (($#)); do
  case "$1" in
    --device) [[ $# -ge 2 ]] || die "--device needs a value"; device="$2"; shift 2 ;;
    --device=*) device="${1#*=}"; shift ;;
    --bundle) [[ $# -ge 2 ]] || die "--bundle needs a file"; bundle="$2"; shift 2 ;;
    --bundle=*) bundle="${1#*=}"; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) pass+=("$1"); shift ;;
  esac
done

[[ "$device" =~ ^(cpu|webgpu|cuda:[0-9]+)$ ]] || die "--device must be cpu, webgpu or cuda:N (got '$device')"
if [[ -z "$bundle" ]]; then
  for candidate in "$here/tilestyle-device.tar.xz" "$here/../dist/device/tilestyle-device.tar.xz"; do
    if [[ -f "$candidate" ]]; then bundle="$candidate"; break; fi
  done
  [[ -n "$bundle" ]] || die "no tilestyle-device.tar.xz next to this script or in dist/device: run 'npm run bundle:device' first, or pass --bundle FILE"
fi
[[ -f "$bundle" ]] || die "bundle $bundle not found"
[[ "$(uname -m)" == x86_64 ]] || die "the bundle is for x86-64 Linux; this machine is $(uname -s) $(uname -m)"

work="$(mktemp -d "${TMPDIR:-/tmp}/tilestyle-device.XXXXXX")"
cleanup() {
  if ((keep)); then echo "device-check: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# xz may be missing on a bare machine; Python's lzma module can stand in for it.
echo "unpacking $bundle" >&2
if command -v xz >/dev/null; then
  xz -dc "$bundle" | tar -x -C "$work"
elif command -v python3 >/dev/null; then
  python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$bundle" | tar -x -C "$work"
else
  die "neither xz nor python3 is here to unpack $bundle"
fi
top="$work/tilestyle-device"
[[ -x "$top/bin/node" ]] || die "$bundle holds no tilestyle-device/bin/node: is it a device bundle?"
sed -n '1,3s/^/bundle: /p' "$top/BUILD.txt" >&2

# Vulkan loader: the system's if it has one; otherwise the bundled Debian packages, unpacked into a
# private folder. Only the libraries the system lacks are put on LD_LIBRARY_PATH, so none shadows
# the system's own.
system_libs="$(ldconfig -p 2>/dev/null || true)"
have_lib() { grep -q "[[:space:]]$1 " <<<"$system_libs"; }
extra_libs=""
if have_lib libvulkan.so.1; then
  echo "vulkan: the system's loader" >&2
elif ! compgen -G "$top/debs/*.deb" >/dev/null; then
  echo "vulkan: none here and none in the bundle (built with --allow-missing-debs): only cpu can work" >&2
else
  command -v dpkg >/dev/null || die "no libvulkan.so.1 here and no dpkg to unpack the bundled one"
  for deb in "$top"/debs/*.deb; do dpkg -x "$deb" "$work/debroot"; done
  mkdir -p "$work/lib"
  for lib in "$work"/debroot/usr/lib/x86_64-linux-gnu/*.so.*; do
    name="$(basename "$lib")"
    [[ "$name" =~ \.so\.[0-9]+$ ]] || continue # sonames only (libfoo.so.1), not versioned file names
    have_lib "$name" || ln -sf "$lib" "$work/lib/$name"
  done
  extra_libs="$work/lib"
  echo "vulkan: bundled loader ($(cd "$work/lib" && ls | tr '\n' ' '))" >&2
fi
# The NVIDIA driver's libraries may sit under /usr/local/nvidia without being in the linker's cache.
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  if [[ -d "$d" ]]; then extra_libs="${extra_libs:+$extra_libs:}$d"; fi
done
if [[ -n "$extra_libs" ]]; then export LD_LIBRARY_PATH="$extra_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi

# Vulkan driver (ICD): an NVIDIA one in the standard places, else the one under /usr/local/nvidia.
icd=""
if [[ -n "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]]; then
  icd="${VK_DRIVER_FILES:-$VK_ICD_FILENAMES}"
  echo "vulkan driver: $icd (from the environment)" >&2
else
  standard="$(ls /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json 2>/dev/null || true)"
  nvidia=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if grep -q nvidia <<<"$standard"; then
    icd="$(grep -m 1 nvidia <<<"$standard")"
  elif [[ -f "$nvidia" ]]; then
    export VK_DRIVER_FILES="$nvidia" VK_ICD_FILENAMES="$nvidia"
    icd="$nvidia"
  else
    icd="$(head -n 1 <<<"$standard")"
  fi
  echo "vulkan driver: ${icd:-none found}" >&2
fi

# Names the libraries a Vulkan driver would fail to load for, since the loader only says it skipped it.
check_icd_library() {
  local json="$1" lib found="" d
  [[ -f "$json" ]] || return 0
  lib="$(sed -n '/"library_path"/{s/.*"library_path"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p;q}' "$json")"
  [[ -n "$lib" ]] || return 0
  if [[ "$lib" == /* ]]; then
    found="$lib"
  else
    for d in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }}; do
      if [[ -e "$d/$lib" ]]; then found="$d/$lib"; break; fi
    done
    [[ -n "$found" ]] || found="$(awk -v l="$lib" '$1 == l { print $NF; exit }' <<<"$system_libs")"
  fi
  if [[ -z "$found" || ! -e "$found" ]]; then
    echo "vulkan driver library $lib: not found" >&2
  elif command -v ldd >/dev/null; then
    local missing
    missing="$(ldd "$found" 2>/dev/null | awk '/not found/ { print $1 }' | tr '\n' ' ' || true)"
    echo "vulkan driver library: $found${missing:+ (missing: $missing)}" >&2
  fi
}

if [[ "$device" != cpu ]]; then
  if [[ -n "$icd" ]]; then check_icd_library "${icd%%:*}"; fi
  export VK_LOADER_DEBUG="${VK_LOADER_DEBUG:-error}" # says why a driver would not load
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /' >&2 || true
  fi
fi

set +e
"$top/bin/node" "$top/app/device-check.mjs" --device "$device" \
  --model-dir "$top/models/vgg19" --fixtures "$top/fixtures" ${pass[@]+"${pass[@]}"}
status=$?
set -e
exit "$status"
