#!/usr/bin/env bats
# top: the host's ps filtered to the container's cgroup, through the berth CLI
# and the docker CLI.

load helpers
load daemon

@test "top lists the container's processes, exec'd ones too, the same in both CLIs" {
	b run -d --name top1 busybox sh -c 'sleep 1001 & sleep 1002' >/dev/null
	b exec -d top1 sleep 1003
	wait_for sh -c '"$0" -H "unix://$1" top top1 | grep -q "sleep 1003"' "$BERTH" "$SOCK"
	run b top top1
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "UID "*" PID "*" PPID "*" CMD" ]]
	[ "${#lines[@]}" -eq 4 ]
	[[ "$output" == *"sleep 1001"* && "$output" == *"sleep 1002"* && "$output" == *"sleep 1003"* ]]
	# no process of the host (this shell) is listed
	[[ "$output" != *" $$ "* ]]
	[ "$(dk top top1)" = "$output" ]
	run b container top top1 -o pid,args
	[ "${lines[0]}" = "PID                 COMMAND" ]
	[ "$(dk container top top1 -o pid,args)" = "$output" ]
	b rm -f top1 >/dev/null
}

@test "top of a missing or stopped container fails like docker" {
	run b top nosuch
	[ "$status" -eq 1 ]
	[ "$output" = "Error response from daemon: No such container: nosuch" ]
	id=$(b create --name top2 busybox true)
	run dk top top2
	[ "$status" -eq 1 ]
	[ "$output" = "Error response from daemon: Container $id is not running" ]
	run b top
	[ "$status" -eq 1 ]
	[[ "$output" == "berth: 'berth top' requires at least 1 argument"* ]]
	b rm top2 >/dev/null
}
