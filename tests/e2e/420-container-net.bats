#!/usr/bin/env bats
# Containers on networks, end to end: the default bridge with masquerade,
# published ports, user-defined networks with embedded DNS and isolation,
# connect/disconnect, the other network modes, a daemon killed and started
# again, bad input, and nothing left behind. All traffic stays on loopback or
# inside network namespaces this file creates (addresses in 10.213.128.0/17).

load helpers
load daemon

setup_file() {
	start_berthd
	load_busybox
	# "outside": a namespace standing for the world beyond the host, joined by
	# a plain veth pair (host 10.213.250.1, outside 10.213.250.2).
	local hex
	hex=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
	OUTNS=berth-out-$hex
	OUTV=bo$hex
	echo "OUTNS=$OUTNS OUTV=$OUTV" > "$BATS_FILE_TMPDIR/outside"
	ip netns add "$OUTNS"
	ip link add "$OUTV" type veth peer name "${OUTV}p"
	ip link set "${OUTV}p" netns "$OUTNS"
	ip addr add 10.213.250.1/30 dev "$OUTV"
	ip link set "$OUTV" up
	ip -n "$OUTNS" addr add 10.213.250.2/30 dev "${OUTV}p"
	ip -n "$OUTNS" link set "${OUTV}p" up
	ip -n "$OUTNS" link set lo up
	export OUTNS OUTV
}

teardown_file() {
	# shellcheck disable=SC1091
	. <(sed 's/ /\n/g' "$BATS_FILE_TMPDIR/outside")
	local p
	for p in $(cat "$BATS_FILE_TMPDIR"/bg-*.pid 2>/dev/null); do kill "$p" 2>/dev/null || true; done
	ip link del "$OUTV" 2>/dev/null || true
	ip netns del "$OUTNS" 2>/dev/null || true
	cleanup_berthd
}

# bg NAME CMD...: run CMD in the background (its pid kept for teardown).
bg() {
	local name=$1
	shift
	"$@" >"$BATS_FILE_TMPDIR/bg-$name.log" 2>&1 3>&- &
	echo $! > "$BATS_FILE_TMPDIR/bg-$name.pid"
}

bg_stop() {
	local p
	p=$(cat "$BATS_FILE_TMPDIR/bg-$1.pid" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	rm -f "$BATS_FILE_TMPDIR/bg-$1.pid"
}

# wait_http URL: up to 5 s for a server to answer.
wait_http() {
	local i
	for i in $(seq 50); do
		curl -fsS --max-time 1 "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# An httpd container serving "hello from NAME" on port 80: httpd_ct NAME ARGS...
httpd_ct() {
	local name=$1
	shift
	b run -d --name "$name" "$@" busybox sh -c \
		"mkdir -p /www && echo hello from $name > /www/index.html && exec httpd -f -p 80 -h /www"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

@test "the default bridge: an address from the pool, a default route, /etc/hosts, resolv.conf" {
	run b run --rm --name plain busybox sh -c 'ip -4 -o addr show eth0; ip route; cat /etc/hosts; hostname'
	[ "$status" -eq 0 ]
	local net=${BIP%.*}
	[[ $output == *"inet $net."*"/24"* ]]
	[[ $output == *"default via ${BIP%/*} dev eth0"* ]]
	# hosts maps the container's address to its host name (its short id)
	local host
	host=$(echo "$output" | tail -1)
	echo "$output" | grep -Eq "^$net\.[0-9]+	$host\$"
	ip -o link show "$BRIDGE" | grep -Eq '[<,]UP[,>]'
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
}

@test "inspect shows the endpoint in docker's shape" {
	b run -d --name insp busybox sleep 300
	run dk inspect insp --format '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.MacAddress}}'
	[ "$status" -eq 0 ]
	read -r ip gw len mac <<<"$output"
	[ "$gw" = "${BIP%/*}" ]
	[ "$len" = 24 ]
	[[ $ip == ${BIP%.*}.* ]]
	# docker's MAC: 02:42 then the address
	[ "$mac" = "$(printf '02:42:%02x:%02x:%02x:%02x' ${ip//./ })" ]
	run dk inspect insp --format '{{json .NetworkSettings.Networks.bridge}}'
	[ "$(echo "$output" | jq -r .IPAddress)" = "$ip" ]
	[ "$(echo "$output" | jq -r .NetworkID)" = "$(dk network inspect bridge -f '{{.Id}}')" ]
	[ -n "$(echo "$output" | jq -r .EndpointID)" ]
	run dk network inspect bridge --format '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}'
	[ "$output" = "insp $ip/24" ]
	b rm -f insp
}

@test "a container reaches a server in another namespace through the masquerade" {
	bg outweb ip netns exec "$OUTNS" python3 -m http.server --bind 10.213.250.2 18080
	for i in $(seq 50); do ip netns exec "$OUTNS" curl -s --max-time 1 http://10.213.250.2:18080/ >/dev/null && break; sleep 0.1; done
	: > "$BATS_FILE_TMPDIR/bg-outweb.log"
	run b run --rm busybox timeout 5 wget -q -O - http://10.213.250.2:18080/
	bg_stop outweb
	[ "$status" -eq 0 ]
	# the server saw the host's address, not the container's
	grep -q '^10.213.250.1 ' "$BATS_FILE_TMPDIR/bg-outweb.log"
	! grep -q "^${BIP%.*}\." "$BATS_FILE_TMPDIR/bg-outweb.log"
}

@test "published ports: 127.0.0.1, the bridge address, another namespace; port and ps show them" {
	local p1 p2
	p1=$(free_port)
	p2=$(free_port)
	httpd_ct pub -p "127.0.0.1:$p1:80" -p "$p2:80"
	wait_http "http://127.0.0.1:$p1/"
	run curl -fsS "http://127.0.0.1:$p1/"
	[ "$output" = "hello from pub" ]
	run curl -fsS --max-time 5 "http://${BIP%/*}:$p2/"
	[ "$output" = "hello from pub" ]
	run curl -fsS --max-time 5 "http://127.0.0.1:$p2/"
	[ "$output" = "hello from pub" ]
	# from another namespace, through the host's address on its link
	ip -n "$OUTNS" route replace default via 10.213.250.1
	run ip netns exec "$OUTNS" curl -fsS --max-time 5 "http://10.213.250.1:$p2/"
	[ "$output" = "hello from pub" ]
	run b port pub
	[[ $output == *"80/tcp -> 127.0.0.1:$p1"* ]]
	[[ $output == *"80/tcp -> 0.0.0.0:$p2"* ]]
	run dk port pub 80
	[[ $output == *"127.0.0.1:$p1"* ]]
	run b ps --filter name=pub --format '{{.Ports}}'
	[[ $output == *"127.0.0.1:$p1->80/tcp"* ]]
	[[ $output == *"0.0.0.0:$p2->80/tcp"* ]]
	# stopped: the rule and the port are gone
	b stop -t 1 pub
	run curl -fsS --max-time 2 "http://127.0.0.1:$p1/"
	[ "$status" -ne 0 ]
	run nft list table ip "$NFT_TABLE"
	[[ $output != *"$p1"* ]]
	b rm pub
}

@test "-p CONTAINER, -P with exposed ports, ranges and udp" {
	b run -d --name rnd -p 80 --expose 81 -P -p 127.0.0.1::82/udp busybox sleep 300
	run dk port rnd
	[ "$status" -eq 0 ]
	[[ $output == *"80/tcp -> 0.0.0.0:"* ]]
	[[ $output == *"81/tcp -> 0.0.0.0:"* ]]
	[[ $output == *"82/udp -> 127.0.0.1:"* ]]
	b rm -f rnd
	local p
	p=$(free_port)
	[ "$p" -lt 65000 ] || skip "no room for a range above $p"
	httpd_ct rng -p "127.0.0.1:$p-$((p + 2)):80"
	wait_http "http://127.0.0.1:$p/"
	b rm -f rng
}

@test "a port already taken is refused with docker's message, and nothing is left" {
	local p
	p=$(free_port)
	bg holder python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', $p)); s.listen(); time.sleep(60)"
	sleep 0.3
	run b run -d --name taken -p "$p:80" busybox sleep 300
	[ "$status" -eq 125 ]
	[[ $output == *"failed to bind host port for 0.0.0.0:$p:"*"address already in use"* ]]
	run nft list table ip "$NFT_TABLE"
	[[ $output != *" $p "* ]]
	bg_stop holder
	b rm -f taken
	# the same port twice among berth's containers
	b run -d --name first -p "$p:80" busybox sleep 300
	run b run -d --name second -p "$p:80" busybox sleep 300
	[ "$status" -eq 125 ]
	[[ $output == *"Bind for 0.0.0.0:$p failed: port is already allocated"* ]]
	b rm -f first second
}

@test "a user-defined network: by name, alias and short id; another network is isolated" {
	b network create --subnet 10.213.170.0/24 front
	b network create back
	httpd_ct web --network front --network-alias www
	local id
	id=$(b inspect -f '{{.Id}}' web)
	for name in web www "${id:0:12}"; do
		run b run --rm --network front busybox timeout 5 wget -q -O - "http://$name/"
		[ "$status" -eq 0 ]
		[ "$output" = "hello from web" ]
	done
	run b run --rm --network front busybox cat /etc/resolv.conf
	[[ $output == *"nameserver 127.0.0.11"* ]]
	[[ $output == *"options ndots:0"* ]]
	run b run --rm --network front busybox nslookup www 127.0.0.11
	[[ $output == *"10.213.170."* ]]
	# from the other network: no name, and no route through the host either
	local ip
	ip=$(b inspect -f '{{.NetworkSettings.Networks.front.IPAddress}}' web)
	[[ $ip == 10.213.170.* ]]
	run b run --rm --network back busybox timeout 2 wget -q -O - "http://web/"
	[ "$status" -ne 0 ]
	run b run --rm --network back busybox timeout 2 wget -q -O - "http://$ip/"
	[ "$status" -ne 0 ]
	run dk network inspect front --format '{{range .Containers}}{{.Name}}{{end}}'
	[ "$output" = web ]
}

@test "connect and disconnect a running container" {
	b run -d --name roamer --network back busybox sleep 300
	run b exec roamer timeout 2 wget -q -O - http://web/
	[ "$status" -ne 0 ]
	b network connect --alias rover front roamer
	run b exec roamer timeout 5 wget -q -O - http://web/
	[ "$status" -eq 0 ]
	[ "$output" = "hello from web" ]
	run b exec roamer ip -4 -o addr show eth1
	[[ $output == *"10.213.170."* ]]
	# web finds it by its alias now
	run b exec web nslookup rover 127.0.0.11
	[[ $output == *"10.213.170."* ]]
	run dk network connect front roamer
	[ "$status" -ne 0 ]
	b network disconnect front roamer
	run b exec roamer timeout 2 wget -q -O - http://web/
	[ "$status" -ne 0 ]
	run b exec roamer ip link show eth1
	[ "$status" -ne 0 ]
	b rm -f roamer
}

@test "the embedded DNS forwards other names to the upstream resolvers" {
	# a resolver on the host's loopback that knows one name; berthd is
	# started again with it as its --dns
	bg dns python3 "$HELPERS/fake-dns.py" 127.53.0.1 53 example.test 10.213.251.7
	sleep 0.3
	stop_berthd
	start_berthd --dns 127.53.0.1
	run b run --rm --network front busybox nslookup example.test 127.0.0.11
	bg_stop dns
	[[ $output == *"10.213.251.7"* ]]
}

@test "--network none, host and container:NAME" {
	run b run --rm --network none busybox ip -o link
	[ "$status" -eq 0 ]
	[[ $output == *"lo:"* ]]
	[[ $output != *"eth0"* ]]
	run b run --rm --network host busybox ip -o link show "$BRIDGE"
	[ "$status" -eq 0 ]
	b run -d --name shared busybox sleep 300
	local ip
	ip=$(b inspect -f '{{.NetworkSettings.IPAddress}}' shared)
	run b run --rm --network container:shared busybox ip -4 -o addr show eth0
	[[ $output == *"$ip/"* ]]
	run b run --rm --network container:nosuch busybox true
	[ "$status" -eq 125 ]
	[[ $output == *"No such container: nosuch"* ]]
	b rm -f shared
}

@test "--dns, --dns-search, --dns-option, --add-host host-gateway, --mac-address, --hostname, --link" {
	run b run --rm --dns 10.213.251.53 --dns-search example.test --dns-option timeout:2 busybox cat /etc/resolv.conf
	[[ $output == *"nameserver 10.213.251.53"* ]]
	[[ $output == *"search example.test"* ]]
	[[ $output == *"options timeout:2"* ]]
	run b run --rm --add-host gw:host-gateway --add-host db:10.213.251.9 busybox cat /etc/hosts
	[[ $output == *"${BIP%/*}	gw"* ]]
	[[ $output == *"10.213.251.9	db"* ]]
	run b run --rm --mac-address 02:42:de:ad:be:ef busybox cat /sys/class/net/eth0/address
	[ "$output" = "02:42:de:ad:be:ef" ]
	run b run --rm --hostname myhost busybox sh -c 'hostname; grep myhost /etc/hosts'
	[[ $output == myhost* ]]
	[[ $output == *"	myhost"* ]]
	httpd_ct linked
	run b run --rm --link linked:ln busybox timeout 5 wget -q -O - http://ln/
	[ "$output" = "hello from linked" ]
	b rm -f linked
}

@test "the docker CLI: run -p, network create/connect/inspect/rm against berthd" {
	local p
	p=$(free_port)
	dk network create dknet
	dk run -d --name dkweb --network dknet -p "127.0.0.1:$p:80" busybox sh -c \
		'mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www'
	wait_http "http://127.0.0.1:$p/"
	run dk port dkweb
	[[ $output == *"80/tcp -> 127.0.0.1:$p"* ]]
	run dk run --rm --network dknet busybox timeout 5 wget -q -O - http://dkweb/
	[ "$output" = hi ]
	dk network connect bridge dkweb
	run dk inspect dkweb --format '{{len .NetworkSettings.Networks}}'
	[ "$output" = 2 ]
	dk rm -f dkweb
	dk network rm dknet
}

@test "bad input: overlapping subnets, unknown network, a network in use, bad addresses" {
	run dk network create --subnet 10.213.170.128/25 overlap
	[ "$status" -ne 0 ]
	[[ $output == *"overlaps"* ]]
	run dk network ls -q --filter name=overlap
	[ -z "$output" ]
	run dk run --rm --network nosuch busybox true
	[ "$status" -eq 125 ]
	[[ $output == *"network nosuch not found"* ]]
	run dk network rm front
	[ "$status" -ne 0 ]
	[[ $output == *"has active endpoints"* ]]
	dk network inspect front >/dev/null
	run dk run --rm --ip 10.213.171.5 --network front busybox true
	[ "$status" -ne 0 ]
	run dk run --rm --network-alias x busybox true
	[ "$status" -ne 0 ]
	[[ $output == *"network-scoped alias"* ]]
	run dk run --rm --network front --ip 10.213.170.77 busybox ip -4 -o addr show eth0
	[[ $output == *"10.213.170.77/24"* ]]
}

@test "the daemon killed and started again: ports keep working, no address is handed out twice" {
	local p
	p=$(free_port)
	httpd_ct survivor -p "127.0.0.1:$p:80"
	wait_http "http://127.0.0.1:$p/"
	local ip
	ip=$(b inspect -f '{{.NetworkSettings.IPAddress}}' survivor)
	stop_berthd KILL
	start_berthd
	run curl -fsS --max-time 5 "http://127.0.0.1:$p/"
	[ "$output" = "hello from survivor" ]
	run nft list table ip "$NFT_TABLE"
	[[ $output == *"$p"* ]]
	# web on "front" still answers by name after the restart
	run b run --rm --network front busybox timeout 5 wget -q -O - http://web/
	[ "$output" = "hello from web" ]
	for i in 1 2 3; do
		run b run --rm busybox ip -4 -o addr show eth0
		[[ $output != *" $ip/"* ]]
	done
	b rm -f survivor
	run curl -fsS --max-time 2 "http://127.0.0.1:$p/"
	[ "$status" -ne 0 ]
}

@test "a container that exits while the daemon is away: its rules and namespace are cleaned up at start" {
	local p
	p=$(free_port)
	b run -d --name brief -p "127.0.0.1:$p:80" busybox sleep 2
	local id
	id=$(b inspect -f '{{.Id}}' brief)
	[ -e "$XROOT/netns/$id" ]
	stop_berthd KILL
	sleep 3
	start_berthd
	run b inspect -f '{{.State.Status}} {{.NetworkSettings.IPAddress}}' brief
	[ "$output" = "exited " ]
	[ ! -e "$XROOT/netns/$id" ]
	run nft list table ip "$NFT_TABLE"
	[[ $output != *"$p"* ]]
	b rm brief
}

@test "nothing is left behind: no rules, links or namespaces of removed containers" {
	b rm -f web >/dev/null 2>&1 || true
	for id in $(b ps -aq); do b rm -f "$id"; done
	b network rm front back
	# only the built-in networks remain, and the table has no port entries
	run dk network ls --format '{{.Name}}'
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "bridge host none " ]
	run ls "$XROOT/netns"
	[ -z "$output" ]
	local i
	for i in $(seq 50); do
		ip -o link show master "$BRIDGE" | grep -q . || break
		sleep 0.1
	done
	run ip -o link show master "$BRIDGE"
	[ -z "$output" ]
	cleanup_berthd
	run nft list tables
	[[ $output != *"$NFT_TABLE"* ]]
	run ip -o link show
	[[ $output != *"$BRIDGE"* ]]
	# no bridge of a user network either
	run bash -c "ip -o link show | awk -F': ' '{print \$2}' | sed 's/@.*//' | grep '^br-' | grep -vxf '$BATS_FILE_TMPDIR/links-before'"
	[ -z "$output" ]
}
