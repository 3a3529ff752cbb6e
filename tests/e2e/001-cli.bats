#!/usr/bin/env bats
# berth-runtime's command line: version, help, features, spec, bad input.

load helpers

@test "version and help" {
	run "$RUNTIME" --version
	[ "$status" -eq 0 ]
	[[ "$output" == *"berth-runtime version"* ]]
	[[ "$output" == *"spec: 1.2.0"* ]]
	run "$RUNTIME" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"create"* && "$output" == *"exec"* ]]
}

@test "unknown command and missing id are errors" {
	run "$RUNTIME" frobnicate
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	run "$RUNTIME" --root "$BATS_TEST_TMPDIR/s" start
	[ "$status" -eq 1 ]
	[[ "$output" == *"container id cannot be empty"* ]]
}

@test "features prints the OCI features document" {
	run "$RUNTIME" features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.ociVersionMax == "1.2.0"'
	echo "$output" | jq -e '.hooks | length == 6'
	echo "$output" | jq -e '.linux.namespaces | index("time") != null'
	echo "$output" | jq -e '.linux.seccomp.enabled == true'
	echo "$output" | jq -e '.linux.seccomp.actions | index("SCMP_ACT_NOTIFY") != null'
	echo "$output" | jq -e '.linux.cgroup.v1 and .linux.cgroup.v2'
	echo "$output" | jq -e '.linux.apparmor.enabled == false'
}

@test "spec writes a config.json that the runtime accepts, and refuses to overwrite" {
	cd "$BATS_TEST_TMPDIR"
	run "$RUNTIME" spec
	[ "$status" -eq 0 ]
	jq -e '.ociVersion and .process.args == ["sh"] and .root.path == "rootfs"' config.json
	run "$RUNTIME" spec
	[ "$status" -eq 1 ]
	[[ "$output" == *"exists"* ]]
	mkdir rl && run "$RUNTIME" spec --rootless --bundle rl
	[ "$status" -eq 0 ]
	jq -e '.linux.uidMappings[0].size == 1' rl/config.json
	jq -e '[.linux.namespaces[].type] | index("user") != null' rl/config.json
}

@test "state of a missing container is an error" {
	run "$RUNTIME" --root "$BATS_TEST_TMPDIR/s" state nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"container 'nope' does not exist"* ]]
	run "$RUNTIME" --root "$BATS_TEST_TMPDIR/s" delete --force nope
	[ "$status" -eq 0 ]
}

@test "bad container ids are refused" {
	run "$RUNTIME" --root "$BATS_TEST_TMPDIR/s" state ../etc
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid container id"* ]]
}

@test "--systemd-cgroup is refused by name" {
	run "$RUNTIME" --systemd-cgroup --root "$BATS_TEST_TMPDIR/s" state x
	[ "$status" -eq 1 ]
	[[ "$output" == *"systemd cgroup driver is not supported"* ]]
}

@test "--log with --log-format json writes runc-style JSON lines" {
	run "$RUNTIME" --log "$BATS_TEST_TMPDIR/log.json" --log-format json --root "$BATS_TEST_TMPDIR/s" state nope
	[ "$status" -eq 1 ]
	jq -e 'select(.level == "error") | .msg | contains("does not exist")' "$BATS_TEST_TMPDIR/log.json"
	jq -e '.time' "$BATS_TEST_TMPDIR/log.json"
}
