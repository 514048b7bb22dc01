#!/bin/sh
# SPDX-License-Identifier: MIT
# vm-run.sh - run a shell script inside a virtual machine booted with
# Debian's kernel under QEMU (TCG: no KVM needed), with a given number of
# CPUs and NUMA node layout, and print what the script printed.
#
# Usage: vm-run.sh [options] SCRIPT
#   -a ARCH     x86_64 (qemu-system-x86_64) or aarch64 (qemu-system-aarch64
#               -M virt -cpu max); default: the host's (uname -m)
#   -c CPUS     virtual CPUs (default 2)
#   -n NODES    NUMA layout, space-separated NODEID:CPUS:MiB entries, such
#               as "0:0-1:256 1:2-3:256" (CPUS as QEMU takes them: 0-1 or
#               0; none: a node without CPUs; MiB 0: a node without
#               memory; QEMU wants node ids 0..N-1, but a node with
#               neither stays offline in the guest); default: no NUMA
#               information, -m MiB of memory
#   -m MiB      memory without -n (default 512)
#   -t SECONDS  time limit of the whole run, boot included (default 300)
#   -f FILE     put FILE into the VM at the same absolute path; an ELF
#               program or library brings its dynamic loader and the
#               shared libraries it needs (DT_NEEDED, searched like the
#               loader does: RPATH, LD_LIBRARY_PATH, RUNPATH, the
#               architecture's multiarch folders), recursively; a libtool
#               wrapper script is replaced by the real program under
#               .libs/. Repeat for several files.
#   -C DIR      the folder the script starts in (default: the current one;
#               it exists in the VM, with the files -f put there)
#   -w DIR      a work folder for the initramfs and the console log
#               (default: a temporary one, removed at exit)
# SCRIPT runs in the VM under busybox sh, with /proc, /sys and /dev
# mounted (the initramfs itself is writable, /tmp included), and
# LFP_VM_ARCH, LFP_VM_CPUS set; its exit status
# is vm-run.sh's. Exit 77 (skip) with the reason on stdout when QEMU, the
# kernel or busybox cannot be had; 124 when the time limit passed; 125
# when the VM failed otherwise (the reason and the console's last lines
# on stderr).
#
# Environment:
#   LFP_VM_CACHE   where downloaded Debian packages are kept and unpacked
#                  (default ./vm-cache)
#   LFP_VM_KERNEL  a kernel image to boot instead of Debian's
#                  (linux-image-amd64, linux-image-arm64:arm64; fetched with
#                  apt-get download and unpacked with dpkg -x)
#   LFP_VM_BUSYBOX a static busybox for ARCH instead of busybox-static
#                  (the host's /bin/busybox when ARCH is the host's and it
#                  is static, else busybox-static:ARCH downloaded)
#   LFP_VM_QEMU_ARGS  more arguments for QEMU
# Needs: qemu-system-x86 or qemu-system-arm, readelf (binutils), gzip,
# apt-get and dpkg (to fetch the kernel), and cpio or a busybox on the host.
set -u

arch=$(uname -m)
cpus=2
nodes=
mem=512
limit=300
files=
startdir=$(pwd)
work=

usage() {
	sed -n '3,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

while getopts a:c:n:m:t:f:C:w:h opt; do
	case $opt in
	a) arch=$OPTARG ;;
	c) cpus=$OPTARG ;;
	n) nodes=$OPTARG ;;
	m) mem=$OPTARG ;;
	t) limit=$OPTARG ;;
	f) files="$files
$OPTARG" ;;
	C) startdir=$OPTARG ;;
	w) work=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
script=$1

skip() {
	echo "SKIP: $*"
	exit 77
}
die() {
	echo "vm-run.sh: $*" >&2
	exit 125
}

case $arch in
x86_64 | amd64)
	arch=x86_64; debarch=amd64; triplet=x86_64-linux-gnu
	qemu="qemu-system-x86_64"; qemupkg="qemu-system-x86"
	kpkg=linux-image-amd64; console=ttyS0
	machine="-M q35"
	;;
aarch64 | arm64)
	arch=aarch64; debarch=arm64; triplet=aarch64-linux-gnu
	qemu="qemu-system-aarch64"; qemupkg="qemu-system-arm"
	kpkg=linux-image-arm64; console=ttyAMA0
	machine="-M virt -cpu max"
	;;
*) die "unknown architecture $arch (x86_64, aarch64)" ;;
esac
hostdeb=$(dpkg --print-architecture 2>/dev/null || echo none)

command -v "$qemu" >/dev/null 2>&1 ||
	skip "$qemu not found (apt-get install $qemupkg)"
command -v readelf >/dev/null 2>&1 ||
	skip "readelf not found (apt-get install binutils)"
[ -f "$script" ] || die "no script $script"

cache=${LFP_VM_CACHE:-$(pwd)/vm-cache}
mkdir -p "$cache" || die "cannot make $cache"
cache=$(cd "$cache" && pwd)

# fetch PKG PATH: download Debian package PKG (NAME or NAME:ARCH) into
# the cache and unpack PATH of it (a tar pattern, such as ./boot/vmlinuz-*)
# to $cache/pkg-PKG/; prints that folder. A package already unpacked is
# used as it is; the .deb itself is not kept.
fetch() {
	dir=$cache/pkg-$(echo "$1" | tr ':' '-')
	if [ ! -f "$dir/.done" ]; then
		command -v apt-get >/dev/null 2>&1 || return 1
		rm -rf "$dir" && mkdir -p "$dir/deb" || return 1
		(cd "$dir/deb" && apt-get download -q "$1" >../download.log 2>&1) ||
			return 1
		for deb in "$dir"/deb/*.deb; do
			dpkg-deb --fsys-tarfile "$deb" |
				tar -x -C "$dir" --wildcards "$2" || return 1
		done
		rm -rf "$dir/deb"
		touch "$dir/.done"
	fi
	echo "$dir"
}

# The kernel: Debian's metapackage names the current image package.
kernel=${LFP_VM_KERNEL:-}
if [ -z "$kernel" ]; then
	want=$kpkg
	[ "$debarch" = "$hostdeb" ] || want=$kpkg:$debarch
	real=$(apt-cache depends "$want" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ :]*\).*/\1/p' | head -n 1)
	[ -n "$real" ] ||
		skip "no kernel: apt-cache knows no $want (for arm64 on another host: dpkg --add-architecture arm64; apt-get update)"
	[ "$debarch" = "$hostdeb" ] || real=$real:$debarch
	kdir=$(fetch "$real" "./boot/vmlinu*") ||
		skip "no kernel: apt-get download $real failed (see $cache)"
	kernel=$(ls "$kdir"/boot/vmlinu[xz]-* 2>/dev/null | head -n 1)
fi
[ -f "$kernel" ] || skip "no kernel image ($kernel)"

# A static busybox for the guest's userland.
busybox=${LFP_VM_BUSYBOX:-}
if [ -z "$busybox" ] && [ "$debarch" = "$hostdeb" ] &&
	[ -x /bin/busybox ] &&
	! readelf -l /bin/busybox 2>/dev/null | grep -q 'program interpreter'; then
	busybox=/bin/busybox
fi
if [ -z "$busybox" ]; then
	bdir=$(fetch "busybox-static:$debarch" ./bin/busybox) ||
		skip "no static busybox for $debarch (apt-get install busybox-static, or set LFP_VM_BUSYBOX)"
	busybox=$bdir/bin/busybox
fi
[ -f "$busybox" ] || skip "no busybox at $busybox"
# What builds the cpio archive on the host.
if command -v cpio >/dev/null 2>&1; then
	mkcpio="cpio --quiet -o -H newc"
elif command -v busybox >/dev/null 2>&1; then
	mkcpio="busybox cpio -o -H newc"
else
	skip "neither cpio nor busybox on the host (apt-get install cpio)"
fi

if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/lfp-vm.XXXXXX") || die "mktemp"
	trap 'rm -rf "$work"' EXIT
	trap 'exit 130' INT TERM
fi
mkdir -p "$work" || die "cannot make $work"
root=$work/root
rm -rf "$root" && mkdir -p "$root" || die "cannot make $root"

# add SRC [DEST]: copy SRC (dereferenced) into the VM at DEST (default:
# SRC's own path), once.
add() {
	dest=${2:-$1}
	[ -e "$root$dest" ] && return 0
	mkdir -p "$root$(dirname "$dest")" && cp -L "$1" "$root$dest" ||
		die "cannot copy $1"
}

# The loader's search, for one NEEDED name of an object in folder @3 with
# RPATH @4 and RUNPATH @5: prints the path found.
find_lib() {
	local name origin rpath runpath dirs
	name=$1 origin=$2 rpath=$3 runpath=$4
	dirs=
	[ -n "$runpath" ] || dirs=$rpath
	dirs="$dirs:${LD_LIBRARY_PATH:-}:$runpath"
	dirs="$dirs:/lib/$triplet:/usr/lib/$triplet:/usr/local/lib/$triplet"
	dirs="$dirs:/lib:/usr/lib:/usr/$triplet/lib"
	echo "$dirs" | tr ':' '\n' | sed "s|\$ORIGIN|$origin|g; s|\${ORIGIN}|$origin|g" |
	while read -r d; do
		[ -n "$d" ] && [ -f "$d/$name" ] || continue
		echo "$d/$name"
		break
	done
}

# add_elf FILE [DEST]: FILE, its loader and its libraries, recursively.
add_elf() {
	local f interp dyn rpath runpath origin lib path
	f=$1
	if ! readelf -h "$f" >/dev/null 2>&1; then
		add "$f" "${2:-}"
		return
	fi
	[ -e "$root${2:-$f}" ] && return 0
	add "$f" "${2:-}"
	interp=$(readelf -l "$f" 2>/dev/null |
		sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	[ -z "$interp" ] || add "$interp"
	dyn=$(readelf -d "$f" 2>/dev/null)
	rpath=$(echo "$dyn" | sed -n 's/.*(RPATH).*\[\(.*\)\]/\1/p')
	runpath=$(echo "$dyn" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
	origin=$(cd "$(dirname "$f")" && pwd)
	for lib in $(echo "$dyn" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		path=$(find_lib "$lib" "$origin" "$rpath" "$runpath")
		[ -n "$path" ] || die "$f needs $lib, not found for $arch"
		add_elf "$path"
		# The loader finds it by this folder (LD_LIBRARY_PATH below).
		libdirs="$libdirs
$(dirname "$path")"
	done
}

libdirs=
echo "$files" | while read -r f; do
	[ -n "$f" ] || continue
	[ -e "$f" ] || die "no file $f"
	abs=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
	real=$abs
	# A libtool wrapper: the program is under .libs/ (lt-NAME or NAME).
	if head -c 2 "$abs" | grep -q '^#!' &&
		grep -q 'libtool' "$abs" 2>/dev/null; then
		d=$(dirname "$abs")/.libs b=$(basename "$abs")
		if [ -f "$d/lt-$b" ]; then real=$d/lt-$b
		elif [ -f "$d/$b" ]; then real=$d/$b
		else die "$f is a libtool wrapper without its program"
		fi
	fi
	add_elf "$real" "$abs"
	echo "$libdirs" >>"$work/libdirs"
done || exit $?
ldpath=$(sort -u "$work/libdirs" 2>/dev/null | grep . | tr '\n' ':')
rm -f "$work/libdirs"

add "$busybox" /bin/busybox
add "$script" /vm-script.sh
startdir=$(cd "$startdir" && pwd) || die "no folder $startdir"
mkdir -p "$root$startdir" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" &&
	chmod 1777 "$root/tmp" || die "cannot make the folders of $root"

# The guest's init: mount, run the script between two marks on the
# console, power off. Kernel messages stay off the console (loglevel=1).
cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin LD_LIBRARY_PATH='$ldpath' LFP_VM_ARCH=$arch LFP_VM_CPUS=$cpus
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
cd '$startdir'
echo '@@LFP-VM-BEGIN@@'
sh /vm-script.sh </dev/null 2>&1
rc=\$?
echo
echo "@@LFP-VM-END \$rc@@"
sync
reboot -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | $mkcpio) | gzip -1 >"$work/initrd.gz" ||
	die "cannot build the initramfs"

# The machine: one memory backend per node with memory.
numa=
if [ -n "$nodes" ]; then
	mem=0
	for n in $nodes; do
		id=${n%%:*} rest=${n#*:}
		ncpus=${rest%%:*} nmem=${rest#*:}
		numa="$numa -numa node,nodeid=$id"
		[ -z "$ncpus" ] || numa="$numa,cpus=$ncpus"
		if [ "$nmem" -gt 0 ]; then
			numa="$numa,memdev=m$id -object memory-backend-ram,id=m$id,size=${nmem}M"
			mem=$((mem + nmem))
		fi
	done
fi
log=$work/console.log
# shellcheck disable=SC2086 # the option lists split on purpose
timeout -k 10 "$limit" "$qemu" $machine -accel tcg -smp "$cpus" -m "${mem}M" \
	$numa -kernel "$kernel" -initrd "$work/initrd.gz" \
	-append "console=$console loglevel=1 panic=-1 rdinit=/init" \
	-nographic -no-reboot -nic none -serial "file:$log" -monitor none \
	${LFP_VM_QEMU_ARGS:-} </dev/null >"$work/qemu.out" 2>&1
qrc=$?
tr -d '\r' <"$log" >"$log.txt" 2>/dev/null
# The firmware's escape sequences may precede the first mark on its line.
awk '/@@LFP-VM-END [0-9]+@@/ && f { sub(/@@LFP-VM-END.*/, ""); if ($0 != "") print; exit }
	f { print } /@@LFP-VM-BEGIN@@/ { f = 1 }' "$log.txt"
end=$(sed -n 's/.*@@LFP-VM-END \([0-9]*\)@@.*/\1/p' "$log.txt")
if [ -n "$end" ]; then
	exit "$end"
fi
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo "vm-run.sh: the VM ran past the time limit of $limit s" >&2
	status=124
elif ! grep -q '@@LFP-VM-BEGIN@@' "$log.txt"; then
	echo "vm-run.sh: the VM never started the script (QEMU exit $qrc)" >&2
	status=125
else
	echo "vm-run.sh: the VM stopped before the script ended (QEMU exit $qrc)" >&2
	status=125
fi
sed 's/^/qemu: /' "$work/qemu.out" | tail -n 10 >&2
echo "vm-run.sh: the console's last lines:" >&2
tail -n 30 "$log.txt" | sed 's/^/console: /' >&2
exit $status
