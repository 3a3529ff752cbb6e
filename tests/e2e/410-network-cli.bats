#!/usr/bin/env bats
# The CLI side of networks against a real berthd: network create/ls/inspect/
# rm/prune/connect/disconnect, port, ps's PORTS and NETWORKS, run --network,
# each compared with what the docker CLI prints for the same daemon. And the
# create/connect request bodies, compared with the docker CLI's on a socket
# that records them. Subnets are inside 10.213.192.0/18 (this file's part of
# the lead's 10.213.128.0/17); published ports only on 127.0.0.1.

load helpers
load daemon

setup_file() {
	start_berthd
	load_busybox
	local hex
	hex=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	echo "NP=n410$hex SUB=$((192 + RANDOM % 56))" > "$BATS_FILE_TMPDIR/ids"
}

teardown_file() {
	local p
	p=$(cat "$BATS_FILE_TMPDIR/capture.pid" 2>/dev/null) && kill "$p" 2>/dev/null
	cleanup_berthd
}

setup() {
	# shellcheck disable=SC1091
	. <(sed 's/ /\n/g' "$BATS_FILE_TMPDIR/ids")
}

teardown() {
	local c n
	for c in $(b ps -aq 2>/dev/null); do b rm -f "$c" >/dev/null 2>&1; done
	for n in $(b network ls -q --filter "name=$NP" 2>/dev/null); do b network rm "$n" >/dev/null 2>&1; done
	return 0
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# same CMD...: berth and the docker CLI print the same (stdout, stderr, status).
same() {
	local bo be bs dout de ds
	bo=$(b "$@" 2>"$BATS_TEST_TMPDIR/be") && bs=0 || bs=$?
	dout=$(dk "$@" 2>"$BATS_TEST_TMPDIR/de") && ds=0 || ds=$?
	be=$(sed 's/berth/docker/g' "$BATS_TEST_TMPDIR/be")
	de=$(cat "$BATS_TEST_TMPDIR/de")
	if [ "$bo" != "$dout" ] || [ "$be" != "$de" ] || [ "$bs" != "$ds" ]; then
		printf 'berth (%s):\n%s\n%s\ndocker (%s):\n%s\n%s\n' "$bs" "$bo" "$be" "$ds" "$dout" "$de" >&2
		return 1
	fi
}

@test "network create prints the id; ls shows it like docker (12-char ids, filters, -q, --format)" {
	run b network create --subnet "10.213.$SUB.0/24" --gateway "10.213.$SUB.1" \
		--label a=1 --label b "${NP}a"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	local id=$output
	run b network create --internal "${NP}b"
	[ "$status" -eq 0 ]
	run b network ls
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "NETWORK ID     NAME               DRIVER    SCOPE" ] ||
		[[ "${lines[0]}" =~ ^NETWORK\ ID\ +NAME\ +DRIVER\ +SCOPE$ ]]
	[[ "$output" == *"${id:0:12}   ${NP}a"*"bridge    local"* ]]
	[[ "$output" == *" bridge "* ]]
	run b network ls -q --no-trunc --filter "name=${NP}a"
	[ "$output" = "$id" ]
	run b network ls --filter "name=$NP" --format '{{.Name}} {{.Internal}} {{.Labels}} {{.Label "a"}}'
	[ "${lines[0]}" = "${NP}a false a=1,b= 1" ]
	[ "${lines[1]}" = "${NP}b true  " ]
	same network ls
	same network ls --no-trunc --filter driver=bridge
	same network ls -q --filter "name=$NP"
	same network ls --format '{{.ID}} {{.Name}} {{.Driver}} {{.Scope}} {{.IPv6}} {{.Internal}}'
	same network ls --format '{{.Name}} {{.CreatedAt}} {{.IPv4}}'
	same network ls --format json --filter "name=${NP}b"
}

@test "network inspect: docker's JSON array; -f; an unknown network is an error after the output" {
	b network create --subnet "10.213.$SUB.0/24" --ip-range "10.213.$SUB.128/25" \
		-o com.docker.network.driver.mtu=1400 "${NP}i" >/dev/null
	run b network inspect "${NP}i"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[0].Name')" = "${NP}i" ]
	[ "$(echo "$output" | jq -r '.[0].Driver')" = bridge ]
	[ "$(echo "$output" | jq -r '.[0].IPAM.Config[0].Subnet')" = "10.213.$SUB.0/24" ]
	[ "$(echo "$output" | jq -r '.[0].IPAM.Config[0].IPRange')" = "10.213.$SUB.128/25" ]
	[ "$(echo "$output" | jq -r '.[0].Options["com.docker.network.driver.mtu"]')" = 1400 ]
	[ "${lines[0]}" = "[" ]
	[ "${lines[1]}" = "    {" ]
	run b network inspect -f '{{.Name}} {{.Driver}}' "${NP}i" bridge
	[ "$output" = "${NP}i bridge
bridge bridge" ]
	run b network inspect "${NP}nosuch"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Error response from daemon: network ${NP}nosuch not found"* ]]
	same network inspect "${NP}i"
	same network inspect "${NP}i" "${NP}nosuch"
	same network inspect -f '{{json .IPAM}}' "${NP}i"
}

@test "network create: docker's errors (client-side IPAM checks, a taken name, an overlapping subnet), nothing created" {
	run b network create --gateway 10.213.$SUB.1 "${NP}e"
	[ "$status" -eq 1 ]
	[ "$output" = "every ip-range or gateway must have a corresponding subnet" ]
	run b network create --subnet "10.213.$SUB.0/24" --gateway 10.9.9.1 "${NP}e"
	[ "$output" = "no matching subnet for gateway 10.9.9.1" ]
	run b network create
	[ "$status" -eq 1 ]
	[[ "$output" == *"'berth network create' requires 1 argument"* ]]
	b network create --subnet "10.213.$SUB.0/24" "${NP}e" >/dev/null
	same network create "${NP}e"
	same network create --subnet "10.213.$SUB.0/25" "${NP}f"
	run b network ls -q --filter "name=${NP}f"
	[ -z "$output" ]
}

@test "network rm prints each name, fails on unknown or used ones (docker's messages), -f ignores unknown" {
	b network create "${NP}r1" >/dev/null
	b network create "${NP}r2" >/dev/null
	run b network rm "${NP}r1" "${NP}nosuch" "${NP}r2"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "${NP}r1" ]
	[[ "$output" == *"Error response from daemon: network ${NP}nosuch not found"* ]]
	[[ "$output" == *"${NP}r2"* ]]
	run b network remove -f "${NP}nosuch"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	b network create "${NP}u" >/dev/null
	b run -d --name "${NP}cu" --network "${NP}u" busybox sleep 600
	run b network rm "${NP}u"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Error response from daemon: "*"has active endpoints"* ]]
	same network rm "${NP}u"
	same network rm "${NP}nosuch"
	same network rm -f "${NP}nosuch"
}

@test "network prune: docker's prompt, 'Deleted Networks:', used and predefined networks kept" {
	b network create "${NP}p1" >/dev/null
	b network create "${NP}p2" >/dev/null
	b run -d --name "${NP}cp" --network "${NP}p2" busybox sleep 600
	run b network prune <<<n
	[ "$status" -eq 0 ]
	[ "$output" = "WARNING! This will remove all custom networks not used by at least one container.
Are you sure you want to continue? [y/N] " ] || [ "$output" = "WARNING! This will remove all custom networks not used by at least one container.
Are you sure you want to continue? [y/N]" ]
	b network inspect "${NP}p1" >/dev/null
	run b network prune <<<y
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted Networks:"* ]]
	[[ "$output" == *"${NP}p1"* ]]
	[[ "$output" != *"${NP}p2"* ]]
	run b network inspect "${NP}p1"
	[ "$status" -eq 1 ]
	b network inspect "${NP}p2" bridge host none >/dev/null
	run b network prune -f
	[ "$status" -eq 0 ]
	[[ "$output" != *"${NP}p2"* ]]
}

@test "run --network NAME --network-alias --ip; connect --alias --ip and disconnect on a running container" {
	b network create --subnet "10.213.$SUB.0/24" "${NP}c1" >/dev/null
	b network create "${NP}c2" >/dev/null
	b run -d --name "${NP}ct" --network "${NP}c1" --network-alias web --ip "10.213.$SUB.50" \
		busybox sleep 600
	run b inspect -f "{{(index .NetworkSettings.Networks \"${NP}c1\").IPAddress}}" "${NP}ct"
	[ "$output" = "10.213.$SUB.50" ]
	run b inspect -f "{{json (index .NetworkSettings.Networks \"${NP}c1\").Aliases}}" "${NP}ct"
	[[ "$output" == *'"web"'* ]]
	run b network connect --alias db "${NP}c2" "${NP}ct"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run b ps --filter "name=${NP}ct" --format '{{.Networks}}'
	[ "$output" = "${NP}c1,${NP}c2" ]
	run b exec "${NP}ct" ip -o -4 addr show
	[ "$(echo "$output" | grep -c 'inet ')" -ge 3 ]
	run b network inspect -f '{{range .Containers}}{{.Name}}{{end}}' "${NP}c2"
	[ "$output" = "${NP}ct" ]
	run b network disconnect "${NP}c2" "${NP}ct"
	[ "$status" -eq 0 ]
	run b ps --filter "name=${NP}ct" --format '{{.Networks}}'
	[ "$output" = "${NP}c1" ]
	same network disconnect "${NP}c2" "${NP}ct"
	same network connect "${NP}nosuch" "${NP}ct"
	run b network connect --ip "10.213.$SUB.60" "${NP}c1" "${NP}nosuch"
	[ "$status" -eq 1 ]
	[[ "$output" == "Error response from daemon: "* ]]
}

@test "port and ps PORTS: docker's lines for published, ranged and exposed ports" {
	local p1 p2
	p1=$(free_port)
	p2=$(free_port)
	b run -d --name "${NP}pt" -p "127.0.0.1:$p1:80" -p "127.0.0.1:$p2:81/udp" -p 127.0.0.1::82 \
		--expose 90-91 busybox sleep 600
	run b port "${NP}pt"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "80/tcp -> 127.0.0.1:$p1" ]
	[ "${lines[1]}" = "81/udp -> 127.0.0.1:$p2" ]
	[[ "${lines[2]}" =~ ^82/tcp\ -\>\ 127\.0\.0\.1:[0-9]+$ ]]
	run b port "${NP}pt" 80
	[ "$output" = "127.0.0.1:$p1" ]
	run b port "${NP}pt" 81/udp
	[ "$output" = "127.0.0.1:$p2" ]
	run b port "${NP}pt" 81
	[ "$status" -eq 1 ]
	[ "$output" = "Error: No public port '81' published for ${NP}pt" ]
	run b container port "${NP}pt" abc
	[ "$status" -eq 1 ]
	[ "$output" = 'Error: invalid port (abc): strconv.ParseUint: parsing "abc": invalid syntax' ]
	run b ps --filter "name=${NP}pt" --format '{{.Ports}}'
	[[ "$output" == "90-91/tcp, 127.0.0.1:$p1->80/tcp, 127.0.0.1:$p2->81/udp, 127.0.0.1:"*"->82/tcp" ]]
	same port "${NP}pt"
	same port "${NP}pt" 80/tcp
	same port "${NP}pt" 91
	same ps --filter "name=${NP}pt" --format '{{.Ports}}|{{.Networks}}'
	# the table without CREATED and STATUS, whose "Less than a second ago"
	# and "1 second ago" depend on the moment each CLI asks
	same ps --filter "name=${NP}pt" --format 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Ports}}\t{{.Names}}'
	run b port "${NP}nosuch"
	[ "$status" -eq 1 ]
	[[ "$output" == "Error response from daemon: No such container: ${NP}nosuch" ]]
}

# A socket that records each request (method, path, body) and answers like a
# daemon that accepts everything, for comparing the two CLIs' requests.
start_capture() {
	CAP=$BATS_FILE_TMPDIR/capture
	mkdir -p "$CAP"
	[ -S "$CAP/sock" ] && return 0
	cat >"$CAP/server.py" <<'EOF'
import os, socket, sys
path, log = sys.argv[1], open(sys.argv[2], 'a')
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
def reply(c, status, body):
    b = body.encode()
    c.sendall(('HTTP/1.1 %s\r\nApi-Version: 1.45\r\nContent-Type: application/json\r\n'
               'Content-Length: %d\r\n\r\n' % (status, len(b))).encode() + b)
while True:
    c, _ = s.accept()
    f = c.makefile('rb')
    while True:
        line = f.readline()
        if not line:
            break
        method, target, _ = line.decode().split(' ', 2)
        hdrs = {}
        while True:
            h = f.readline().decode()
            if h in ('\r\n', '\n', ''):
                break
            k, v = h.split(':', 1)
            hdrs[k.strip().lower()] = v.strip()
        body = f.read(int(hdrs.get('content-length', '0')))
        if '_ping' in target:
            reply(c, '200 OK', 'OK' if method == 'GET' else '')
            continue
        log.write('%s %s %s\n' % (method, target, body.decode()))
        log.flush()
        if 'containers/create' in target:
            reply(c, '201 Created', '{"Id":"0123456789abcdef","Warnings":[]}')
        elif 'networks/create' in target:
            reply(c, '201 Created', '{"Id":"0123456789abcdef","Warning":""}')
        else:
            reply(c, '200 OK', '{"Name":"x","Id":"0123456789abcdef"}')
    c.close()
EOF
	python3 "$CAP/server.py" "$CAP/sock" "$CAP/log" 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/capture.pid"
	local i
	for i in $(seq 50); do
		[ -S "$CAP/sock" ] && return 0
		sleep 0.05
	done
	return 1
}

# same_request CMD...: berth and the docker CLI send the same JSON bodies.
same_request() {
	start_capture
	: >"$CAP/log"
	"$BERTH" -H "unix://$CAP/sock" "$@" >/dev/null 2>&1
	local n
	n=$(wc -l <"$CAP/log")
	DOCKER_HOST="unix://$CAP/sock" "$DOCKER" "$@" >/dev/null 2>&1
	python3 - "$CAP/log" "$n" "$*" <<'EOF'
import json, sys, urllib.parse
lines = [l.rstrip('\n') for l in open(sys.argv[1])]
n = int(sys.argv[2])
def norm(ls):
    out = []
    for l in ls:
        if not l.strip():
            continue
        m, target, body = (l.split(' ', 2) + [''])[:3]
        if m == 'GET':
            continue  # docker's network rm looks the network up first
        path, _, q = target.partition('?')
        query = {k: json.loads(v[0]) if k == 'filters' else v for k, v in urllib.parse.parse_qs(q).items()}
        out.append((m, path, query, json.loads(body) if body.strip() else None))
    return out
if norm(lines[:n]) != norm(lines[n:]):
    print('request differs for', sys.argv[3], '\nberth: ', lines[:n], '\ndocker:', lines[n:], file=sys.stderr)
    sys.exit(1)
EOF
}

@test "create/run network flags and network create/connect send the docker CLI's request bodies" {
	same_request create --network netA --network-alias al1 --ip 10.213.200.9 \
		--mac-address 02:42:ac:11:00:02 --dns 1.1.1.1 --dns-search ex.com --dns-option ndots:2 \
		--add-host h1:1.2.3.4 --add-host hg:host-gateway --link c1:a1 --hostname hn \
		-p 8080:80 -p 127.0.0.1:8081:81 -p 82 -p 8000-8002:90-92 -p 8083:83/udp \
		-p 127.0.0.1::84 -P --expose 7000 --expose 7001-7002/udp busybox
	same_request create --mac-address 02:42:ac:11:00:02 busybox
	same_request create --network bridge --link a:b busybox
	same_request create --network host busybox
	same_request create --network none busybox
	same_request create --network container:abc busybox
	same_request create --network netA --network netB busybox
	same_request create --network name=netA,alias=x,ip=10.1.1.1 busybox
	same_request create -p 80/UDP -p '[::1]:8090:90' -p 8000-8002:80 --add-host 'h:[::1]' \
		--dns ::0001 --dns-search a.b. busybox
	same_request create -p target=80,published=8080,protocol=udp,mode=host -p target=81 busybox
	same_request network create -d bridge --subnet 10.213.5.0/24 --gateway 10.213.5.1 \
		--ip-range 10.213.5.128/25 --internal --attachable --label a=b --label c \
		-o com.docker.network.bridge.name=bx -o mtu=1400 --ipv6 netA
	same_request network create netB
	same_request network connect --ip 10.0.0.5 --alias x --alias y --link a:b netA ctr
	same_request network connect netA ctr
	same_request network disconnect -f netA ctr
	same_request network prune -f --filter until=1h
}
