#!/bin/sh
# SPDX-License-Identifier: MIT
# vm-test.sh LAYOUT.vm - one test of make check-vm: boot the virtual
# machine LAYOUT.vm describes (vm-run.sh), run its steps inside, and print
# one TAP stream for the automake TAP driver. Run it from the build tree
# (make check-vm does; by hand: sh ../tests/vm/vm-test.sh
# ../tests/vm/numa-2x2.vm).
#
# LAYOUT.vm is a shell fragment that sets:
#   vm_arch     x86_64 or aarch64 (default: the host's)
#   vm_cpus     CPUs; vm_nodes: the NUMA layout (vm-run.sh -n); vm_mem
#   vm_timeout  seconds for the whole VM run (boot included)
#   vm_step_timeout  seconds for one step, killed after (default 300)
#   vm_files    the programs the steps run, relative to the build tree
#   vm_steps    the guest's commands, shell lines calling
#               step NAME KIND COMMAND [ARG...]
#     KIND: test    a Check program (TAP) or a TAP script: each of its
#                   results counts, a skip is a skip;
#           noskip  the same, but a skip fails (what the layout exists for);
#           report  a program whose output goes to the log as comments
#                   (benchmarks), one result: its exit status.
# LFP_CACHE_MODE, ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS pass into
# the guest when set. Each result is named after its step. Skip (TAP "1..0 # SKIP" under the
# driver, exit 77 by hand) when the VM cannot be had, unless
# LFP_VM_REQUIRED=1 makes that a failure (CI).
set -u

[ $# -eq 1 ] || { echo "usage: vm-test.sh LAYOUT.vm" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
layout=$1
vm_arch=$(uname -m)
vm_cpus=4
vm_nodes=
vm_mem=512
vm_timeout=600
vm_step_timeout=300
vm_files=
vm_steps=
# shellcheck disable=SC1090 # the layout is the argument
. "$layout" || { echo "Bail out! cannot read $layout"; exit 1; }
name=$(basename "$layout" .vm)
build=$(pwd)
# Under the driver, TAP; by hand, exit 77 for a skip.
tap=${LFP_VM_TAP:-0}

work=$(mktemp -d "${TMPDIR:-/tmp}/lfp-vm-$name.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

# The guest's script: the step function, then the layout's steps. The
# Check programs print TAP on stdout and nothing else; every step prints
# "@@STEP NAME KIND STATUS SECONDS", its output, "@@STEP-END".
cat >"$work/guest.sh" <<EOF
CK_TAP_LOG_FILE_NAME=- CK_VERBOSITY=silent CK_DEFAULT_TIMEOUT=${TEST_TIMEOUT:-600}
LFP_STRESS_SCALE=${LFP_STRESS_SCALE:-1}
export CK_TAP_LOG_FILE_NAME CK_VERBOSITY CK_DEFAULT_TIMEOUT LFP_STRESS_SCALE
top_builddir=.; export top_builddir
EOF
# What the caller set of these reaches the guest too: the cache mode, the
# sanitizers' options.
for v in LFP_CACHE_MODE ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	eval "val=\${$v-}"
	[ -z "$val" ] || printf "%s='%s'; export %s\n" "$v" "$val" "$v"
done >>"$work/guest.sh"
cat >>"$work/guest.sh" <<EOF
step() {
	n=\$1 k=\$2
	shift 2
	t0=\$(date +%s)
	# On the console first: a VM that hangs shows which step it was in.
	echo "@@STEP-START \$n"
	timeout -s KILL $vm_step_timeout "\$@" >/tmp/step.out 2>&1 </dev/null
	rc=\$?
	[ \$rc -ne 137 ] || echo "(killed after $vm_step_timeout s)" >>/tmp/step.out
	echo "@@STEP \$n \$k \$rc \$((\$(date +%s) - t0))"
	cat /tmp/step.out
	echo
	echo "@@STEP-END"
}
# in_cpuset NAME CPUS MEMS: this shell (a subshell, say) into a new
# cpuset cgroup (v2) of these CPUs and memory nodes.
in_cpuset() {
	g=/sys/fs/cgroup
	grep -q " \$g cgroup2 " /proc/mounts || mount -t cgroup2 none \$g || return 1
	echo +cpuset >\$g/cgroup.subtree_control && mkdir -p \$g/\$1 &&
	echo "\$2" >\$g/\$1/cpuset.cpus && echo "\$3" >\$g/\$1/cpuset.mems &&
	echo 0 >\$g/\$1/cgroup.procs
}
cat /sys/devices/system/node/online >/dev/null 2>&1 &&
	for d in /sys/devices/system/node/node*; do
		echo "@@NODE \${d##*node} cpus \$(cat \$d/cpulist)" \
			"\$(sed -n 's/.*MemTotal: *//p' \$d/meminfo)"
	done
$vm_steps
EOF

set --
for f in $vm_files; do
	set -- "$@" -f "$f"
done
start=$(date +%s)
LFP_VM_CACHE=${LFP_VM_CACHE:-$build/tests/vm/cache} \
	sh "$here/vm-run.sh" -a "$vm_arch" -c "$vm_cpus" ${vm_nodes:+-n "$vm_nodes"} \
	-m "$vm_mem" -t "$vm_timeout" -w "$work" "$@" "$work/guest.sh" \
	>"$work/out" 2>"$work/err"
rc=$?
secs=$(($(date +%s) - start))

if [ "$rc" -eq 77 ]; then
	why=$(sed -n 's/^SKIP: //p' "$work/out")
	if [ "${LFP_VM_REQUIRED:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - $name: no VM (LFP_VM_REQUIRED=1): $why"
		exit 0
	fi
	[ "$tap" = 1 ] || { echo "SKIP: $why"; exit 77; }
	echo "1..0 # SKIP $why"
	exit 0
fi

# The steps' outputs as TAP, numbered here.
awk -v name="$name" -v vmrc="$rc" -v secs="$secs" '
function result(ok, what) {
	n++
	printf "%s %d - %s\n", ok ? "ok" : "not ok", n, what
}
/^@@NODE / { sub(/^@@NODE /, ""); print "# node " $0; next }
/^@@STEP-START / { next }
/^@@STEP-END$/ {
	if (kind == "report") {
		result(st == 0, step " (exit status " st ")")
	} else if (skip != "" || st == 77) {
		if (kind == "noskip")
			result(0, step " skipped, which this layout forbids: " skip)
		else
			printf "ok %d - %s # SKIP %s\n", ++n, step, skip
	} else {
		if (st != 0)
			result(0, step " exit status " st)
		else if (!seen)
			result(0, step " printed no result")
	}
	instep = 0
	next
}
/^@@STEP / {
	step = $2; kind = $3; st = $4; instep = 1; seen = 0; skip = ""
	printf "# %s: %s s in the VM\n", step, $5
	next
}
instep && /^SKIP: / { skip = $0; sub(/^SKIP: */, "", skip); next }
instep && /^1\.\.0 # SKIP/ { skip = $0; sub(/^1\.\.0 # SKIP */, "", skip); next }
instep && kind == "report" { if ($0 != "") print "# " step ": " $0; next }
instep && /^(not )?ok / {
	ok = $1 == "ok"
	line = $0
	sub(/^(not )?ok *[0-9]* *-? */, "", line)
	result(ok, step ": " line)
	seen = 1
	next
}
instep && /^1\.\.[0-9]+/ { next }
instep && $0 != "" { print "# " step ": " $0 }
END {
	if (vmrc != 0 && !n)
		result(0, name ": the VM run failed (status " vmrc ")")
	else if (vmrc != 0)
		result(0, name ": the guest script ended with status " vmrc)
	printf "# %s: %d s in all, boot included\n", name, secs
	printf "1..%d\n", n
}' "$work/out"
sed 's/^/# /' "$work/err"
exit 0
