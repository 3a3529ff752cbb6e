#!/usr/bin/env bats
# The root file system: read-only root, mounts and their options, masked and
# read-only paths, devices, sysctl, namespaces (new, joined by path, user with
# id maps, cgroup, time).

load helpers

@test "a read-only root refuses writes; tmpfs mounts stay writable" {
	setup_bundle sh -c 'testinit write /newfile; testinit write /dev/shm/x'
	cfg '.root.readonly = true'
	run_ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "errno 30" ]
	[ "${lines[1]}" = "ok" ]
}

@test "bind mounts: read-only, read-write, files, and nosuid/noexec options" {
	mkdir -p "$BATS_TEST_TMPDIR/data"
	echo hostdata > "$BATS_TEST_TMPDIR/data/f"
	echo single > "$BATS_TEST_TMPDIR/file"
	setup_bundle sh -c 'cat /ro/f /one; testinit write /ro/new; testinit write /rw/new; grep " /rw " /proc/mounts'
	cfg --arg d "$BATS_TEST_TMPDIR/data" --arg f "$BATS_TEST_TMPDIR/file" \
		'.mounts += [{"destination":"/ro","type":"bind","source":$d,"options":["rbind","ro"]},
		             {"destination":"/rw","type":"bind","source":$d,"options":["bind","nosuid","noexec"]},
		             {"destination":"/one","type":"bind","source":$f,"options":["bind","ro"]}]'
	run_ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hostdata ]
	[ "${lines[1]}" = single ]
	[ "${lines[2]}" = "errno 30" ]
	[ "${lines[3]}" = ok ]
	[[ "${lines[4]}" == *nosuid*noexec* || "${lines[4]}" == *noexec*nosuid* ]]
	[ -f "$BATS_TEST_TMPDIR/data/new" ]
}

@test "tmpfs options and mount propagation are applied" {
	setup_bundle sh -c 'grep " /scratch " /proc/mounts; grep " /scratch " /proc/self/mountinfo'
	cfg '.mounts += [{"destination":"/scratch","type":"tmpfs","source":"tmpfs","options":["nodev","size=1m","mode=700","rshared"]}]'
	run_ct
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"size=1024k"* && "${lines[0]}" == *"mode=700"* && "${lines[0]}" == *nodev* ]]
	[[ "${lines[1]}" == *shared:* ]]
}

@test "masked paths read empty and read-only paths refuse writes" {
	setup_bundle sh -c 'cat /proc/kcore 2>/dev/null | wc -c; ls /proc/scsi 2>/dev/null | wc -l; (echo 1 > /proc/sys/kernel/hostname) 2>/dev/null && echo wrote || echo refused; cat /proc/timer_list | wc -c'
	cfg '.linux.maskedPaths = ["/proc/kcore", "/proc/scsi", "/proc/timer_list", "/does/not/exist"] |
	     .linux.readonlyPaths = ["/proc/sys"]'
	run_ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = refused ]
	[ "${lines[3]}" = 0 ]
}

@test "default devices, config devices with mode and owner, and /dev symlinks" {
	setup_bundle sh -c 'ls -ln /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/mydev; readlink /dev/fd; readlink /dev/ptmx; head -c 4 /dev/zero | wc -c'
	cfg '.linux.devices = [{"path":"/dev/mydev","type":"c","major":1,"minor":3,"fileMode":432,"uid":1000,"gid":5}] |
	     .linux.resources.devices += [{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}]'
	run_ct
	[ "$status" -eq 0 ]
	[[ "$output" == *"crw-rw-rw-"*"/dev/null"* ]]
	[[ "$output" == *"crw-rw----"*" 1000 "*" 5 "*"/dev/mydev"* ]]
	[[ "$output" == *"/proc/self/fd"* ]]
	[[ "$output" == *"pts/ptmx"* ]]
	[ "${lines[-1]}" = 4 ]
}

@test "namespaced sysctls are set; host sysctls are refused" {
	setup_bundle sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni'
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}'
	run_ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 1234 ]
	setup_bundle true
	cfg '.linux.sysctl = {"vm.swappiness": "10"}'
	run_ct
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.sysctl.vm.swappiness: not a namespaced sysctl"* ]]
}

@test "namespaces joined by path: the container shares the given network namespace" {
	ns=berthtest$$
	NETNS=$ns
	ip netns add "$ns"
	ip -n "$ns" link add dummy7 type veth peer name dummy8
	setup_bundle sh -c 'ls /sys/class/net'
	cfg --arg p "/run/netns/$ns" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	run_ct
	[ "$status" -eq 0 ]
	[[ "$output" == *dummy7* ]]
}

@test "every configured namespace is new, and the pid namespace starts at 1" {
	setup_bundle sh -c 'echo $$; for n in uts ipc net mnt cgroup; do readlink /proc/self/ns/$n; done'
	run_ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${#lines[@]}" -eq 6 ]
	for l in "${lines[@]:1}"; do
		type=${l%%:*}
		[ "$l" != "$(readlink /proc/self/ns/$type)" ]
	done
}

@test "a user namespace with id maps: root inside is an unprivileged uid outside" {
	setup_bundle sh -c 'testinit ids; cat /proc/self/uid_map; touch /tmp/owned'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	# the mapped root (host uid 100000) must be able to reach the bundle
	d=$BUNDLE
	while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	cfg '.linux.namespaces += [{"type":"user"}] |
	     .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}] |
	     .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}] |
	     .mounts |= map(select(.destination != "/sys/fs/cgroup")) |
	     .mounts |= map(if .destination == "/sys" then {"destination":"/sys","type":"none","source":"/sys","options":["rbind","nosuid","noexec","nodev","ro"]} else . end)'
	run_ct
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "uid 0 gid 0 groups"* ]]
	[[ "$(echo ${lines[1]})" == "0 100000 65536" ]]
	[ "$(stat -c %u "$BUNDLE/rootfs/tmp/owned")" = 100000 ]
}

@test "a cgroup namespace roots /proc/self/cgroup at the container" {
	setup_bundle cat /proc/self/cgroup
	run_ct
	[ "$status" -eq 0 ]
	[[ "$output" == *"memory:/"* ]]
	[[ "$output" != *"berth-test"* ]]
}

@test "a time namespace with offsets shifts the monotonic clock" {
	[ -e /proc/self/ns/time ] || skip "this kernel has no time namespace"
	setup_bundle cat /proc/uptime
	cfg '.linux.namespaces += [{"type":"time"}] | .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}}'
	run_ct
	[ "$status" -eq 0 ]
	up=${output%%.*}
	[ "$up" -ge 864000 ]
}

@test "a mount destination that is a symlink out of the root stays inside the root" {
	setup_bundle sh -c 'ls /escape/'
	mkdir -p "$BATS_TEST_TMPDIR/hostside"
	ln -s "$BATS_TEST_TMPDIR/hostside" "$BUNDLE/rootfs/escape"
	cfg '.mounts += [{"destination":"/escape/mnt","type":"tmpfs","source":"tmpfs"}]'
	run_ct
	[ "$status" -eq 0 ]
	# the tmpfs went to rootfs/<hostside path>/mnt, never to the host directory
	[ ! -e "$BATS_TEST_TMPDIR/hostside/mnt" ]
	[ -d "$BUNDLE/rootfs$BATS_TEST_TMPDIR/hostside/mnt" ]
}

@test "mounting over /proc files other than the lxcfs set is refused" {
	setup_bundle true
	cfg '.mounts += [{"destination":"/proc/self/exe","type":"bind","source":"/bin/true","options":["bind"]}]'
	run_ct
	[ "$status" -eq 1 ]
	[[ "$output" == *"mounting over '/proc/self/exe' is not allowed"* ]]
}

@test "a user namespace joined by path: new namespaces belong to it" {
	unshare -U sleep 100 &
	holder=$!
	sleep 0.2
	echo "0 200000 65536" > /proc/$holder/uid_map
	echo "0 200000 65536" > /proc/$holder/gid_map
	setup_bundle sh -c 'readlink /proc/self/ns/user; cat /proc/self/uid_map; echo pid $$; touch /tmp/made'
	chown -R 200000:200000 "$BUNDLE/rootfs"
	d=$BUNDLE
	while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	cfg --arg p /proc/$holder/ns/user '.linux.namespaces += [{"type":"user","path":$p}] |
	     .mounts |= map(select(.destination != "/sys/fs/cgroup")) |
	     .mounts |= map(if .destination == "/sys" then {"destination":"/sys","type":"none","source":"/sys","options":["rbind","nosuid","noexec","nodev","ro"]} else . end)'
	run_ct
	want=$(readlink /proc/$holder/ns/user)
	kill $holder
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$want" ]
	[ "$(echo ${lines[1]})" = "0 200000 65536" ]
	[ "${lines[2]}" = "pid 1" ]
	[ "$(stat -c %u "$BUNDLE/rootfs/tmp/made")" = 200000 ]
}

@test "rootfsPropagation rshared makes the container's root a shared mount" {
	setup_bundle sh -c "awk '\$5 == \"/\"' /proc/self/mountinfo"
	cfg '.linux.rootfsPropagation = "rshared"'
	run_ct
	[ "$status" -eq 0 ]
	[[ "$output" == *shared:* ]]
	setup_bundle sh -c "awk '\$5 == \"/\"' /proc/self/mountinfo"
	cfg '.linux.rootfsPropagation = "private"'
	run_ct
	[ "$status" -eq 0 ]
	[[ "$output" != *shared:* && "$output" != *master:* ]]
}

@test "a pod: a second container joins the pid, ipc, uts and network namespaces of the first" {
	setup_bundle testinit pause
	cfg '.hostname = "podhost"'
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null
	pid=$(rt state "$ID" | jq .pid)
	first=$ID
	mkdir -p "$BATS_TEST_TMPDIR/b2"
	cp -a "$TEMPLATE/rootfs" "$BATS_TEST_TMPDIR/b2/rootfs"
	jq --arg p "/proc/$pid/ns" --arg id "$ID-2" '.process.args = ["sh", "-c", "hostname; ps -o comm | grep -c testinit; for n in pid ipc uts net; do readlink /proc/self/ns/$n; done"] |
		.linux.cgroupsPath = "/berth-test/\($id)" | del(.hostname) |
		.linux.namespaces |= map(if .type == "pid" or .type == "ipc" or .type == "uts" or .type == "network" then .path = "\($p)/\(if .type == "network" then "net" else .type end)" else . end)' \
		"$TEMPLATE/config.json" > "$BATS_TEST_TMPDIR/b2/config.json"
	run "$RUNTIME" --root "$STATE" run --bundle "$BATS_TEST_TMPDIR/b2" "$ID-2"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = podhost ]
	[ "${lines[1]}" = 1 ]
	[ "${lines[2]}" = "$(readlink /proc/$pid/ns/pid)" ]
	[ "${lines[3]}" = "$(readlink /proc/$pid/ns/ipc)" ]
	[ "${lines[4]}" = "$(readlink /proc/$pid/ns/uts)" ]
	[ "${lines[5]}" = "$(readlink /proc/$pid/ns/net)" ]
	rt delete -f "$first"
}
