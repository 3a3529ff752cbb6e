#!/usr/bin/env bats
# The network model and the /networks API against a real berthd: the
# built-in networks, create/ls/inspect/rm/prune through the API and through
# the docker CLI in docker's shapes and words, bad input (duplicate names,
# overlapping or malformed subnets, unknown networks, built-ins, bridge name
# collisions), and a daemon restart that finds its networks, bridges and
# nftables table again. The default bridge is 10.213.200.1/24; automatic
# subnets come from 10.213.192.0/18; chosen ones are 10.213.252-254.0/24.
# Teardown removes the test's nftables table and the bridges of the network
# records, nothing else.

load helpers
load daemon

setup_file() {
	# This file's network identity (read by start_berthd's net_identity).
	local hex
	hex=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	{
		echo "BRIDGE=bt${hex:0:5}"
		echo "NFT_TABLE=berth_t$hex"
		echo "BIP=10.213.200.1/24"
		echo "POOL_BASE=10.213.192.0/18"
		echo "IP_FORWARD=$(cat /proc/sys/net/ipv4/ip_forward)"
	} > "$BATS_FILE_TMPDIR/net-identity"
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' > "$BATS_FILE_TMPDIR/links-before"
	echo "P=n400$hex" > "$BATS_FILE_TMPDIR/ids"
	start_berthd
}

teardown_file() {
	note_bridges
	cleanup_berthd
}

# Only what this file made: the bridges named by the daemon's network records
# (noted while it ran), its table, and ip_forward as it was. Replaces
# daemon.bash's version, which also removes br-* links it did not note.
cleanup_network() {
	[ -f "$BATS_FILE_TMPDIR/net-identity" ] || return 0
	net_identity
	local l
	for l in $(sort -u "$BATS_FILE_TMPDIR/bridges" 2>/dev/null); do
		grep -qx "$l" "$BATS_FILE_TMPDIR/links-before" && continue
		ip link del "$l" 2>/dev/null || true
	done
	nft delete table ip "$NFT_TABLE" 2>/dev/null || true
	echo "$IP_FORWARD" > /proc/sys/net/ipv4/ip_forward
}

# The bridge names of every network the daemon has now, added to a list.
note_bridges() {
	[ -S "${SOCK:-}" ] || return 0
	local id
	echo "$BRIDGE" >> "$BATS_FILE_TMPDIR/bridges"
	for id in $(curl -s --unix-socket "$SOCK" http://berth/v1.45/networks |
		jq -r '.[] | select(.Driver == "bridge") | .Id'); do
		bridge_of "$id" >> "$BATS_FILE_TMPDIR/bridges"
	done
}

# bridge_of ID: the bridge of a network (its -o name, or br-<12 hex of id>).
bridge_of() {
	curl -s --unix-socket "$SOCK" "http://berth/v1.45/networks/$1" |
		jq -r '.Options["com.docker.network.bridge.name"] // ("br-" + .Id[0:12])'
}

setup() {
	# shellcheck disable=SC1091
	. <(sed 's/ /\n/g' "$BATS_FILE_TMPDIR/ids")
	net_identity
}

teardown() {
	note_bridges
}

# api METHOD PATH [curl args]: $status is the HTTP status, $output the body.
api() {
	local method=$1 path=$2 out
	shift 2
	out=$(curl -s --unix-socket "$SOCK" -X "$method" -w '\n%{http_code}' "$@" "http://berth/v1.45$path")
	status=${out##*$'\n'}
	output=${out%$'\n'*}
}

# create JSON: POST /networks/create.
create() {
	api POST /networks/create -H 'Content-Type: application/json' -d "$1"
}

msg() {
	jq -r .message <<<"$output"
}

@test "the built-in networks: bridge on --bridge-name and --bip, host, none" {
	api GET /networks
	[ "$status" = 200 ]
	[ "$(jq -r '[.[].Name] | sort | join(",")' <<<"$output")" = "bridge,host,none" ]
	api GET /networks/bridge
	[ "$status" = 200 ]
	jq -e '.Driver == "bridge" and .Scope == "local" and .EnableIPv6 == false and
		.Internal == false and .Attachable == false and .Ingress == false and
		.ConfigOnly == false and .ConfigFrom.Network == "" and .Containers == {} and
		.IPAM.Driver == "default" and
		.IPAM.Config == [{"Subnet": "10.213.200.0/24", "Gateway": "10.213.200.1"}] and
		.Options["com.docker.network.bridge.default_bridge"] == "true" and
		.Options["com.docker.network.bridge.enable_icc"] == "true" and
		.Options["com.docker.network.bridge.enable_ip_masquerade"] == "true" and
		.Options["com.docker.network.bridge.host_binding_ipv4"] == "0.0.0.0" and
		.Options["com.docker.network.driver.mtu"] == "1500" and .Labels == {} and
		(.Id | test("^[0-9a-f]{64}$"))' <<<"$output"
	[ "$(jq -r '.Options["com.docker.network.bridge.name"]' <<<"$output")" = "$BRIDGE" ]
	ip -4 -o addr show dev "$BRIDGE" | grep -q 'inet 10.213.200.1/24'
	ip -j link show dev "$BRIDGE" | jq -e '(.[0].flags | index("UP")) and .[0].mtu == 1500'
	nft list table ip "$NFT_TABLE" >/dev/null
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	api GET /networks/host
	jq -e '.Driver == "host" and .IPAM.Config == [] and .Options == {}' <<<"$output"
	api GET /networks/none
	jq -e '.Driver == "null"' <<<"$output"
	run dk network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'
	[ "$status" -eq 0 ]
	[[ "$output" == *"bridge bridge local"* && "$output" == *"host host local"* &&
		"$output" == *"none null local"* ]]
}

@test "network create through the API: an automatic subnet, its bridge made, docker's answer" {
	create "{\"Name\": \"${P}a\", \"Labels\": {\"t\": \"400\"}}"
	[ "$status" = 201 ]
	jq -e '(.Id | test("^[0-9a-f]{64}$")) and .Warning == ""' <<<"$output"
	local id
	id=$(jq -r .Id <<<"$output")
	api GET "/networks/${P}a"
	[ "$status" = 200 ]
	jq -e --arg id "$id" '.Id == $id and .Driver == "bridge" and .Labels == {"t": "400"} and
		.Options == {} and .IPAM.Options == {} and .Containers == {}' <<<"$output"
	local subnet gw
	subnet=$(jq -r '.IPAM.Config[0].Subnet' <<<"$output")
	gw=$(jq -r '.IPAM.Config[0].Gateway' <<<"$output")
	[[ "$subnet" == 10.213.*.0/24 ]]
	local third=${subnet#10.213.}
	third=${third%%.*}
	[ "$third" -ge 192 ] && [ "$third" -ne 200 ]
	[ "$gw" = "10.213.$third.1" ]
	ip -4 -o addr show dev "br-${id:0:12}" | grep -q "inet $gw/24"
	# by id and by unique id prefix
	api GET "/networks/$id"
	[ "$status" = 200 ]
	api GET "/networks/${id:0:10}"
	[ "$status" = 200 ]
	[ "$(jq -r .Name <<<"$output")" = "${P}a" ]
}

@test "docker network create with --subnet, --ip-range, --gateway, --internal, labels and -o" {
	run dk network create --subnet 10.213.252.0/24 --ip-range 10.213.252.128/25 \
		--gateway 10.213.252.254 --internal --attachable --label a=b \
		-o com.docker.network.bridge.name="${BRIDGE}x" -o com.docker.network.driver.mtu=1400 \
		"${P}b"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	run dk network inspect "${P}b"
	[ "$status" -eq 0 ]
	jq -e '.[0] | .Internal == true and .Attachable == true and .Labels == {"a": "b"} and
		.IPAM.Config == [{"Subnet": "10.213.252.0/24", "IPRange": "10.213.252.128/25",
				  "Gateway": "10.213.252.254"}] and
		.Options["com.docker.network.driver.mtu"] == "1400"' <<<"$output"
	ip -4 -o addr show dev "${BRIDGE}x" | grep -q 'inet 10.213.252.254/24'
	ip -j link show dev "${BRIDGE}x" | jq -e '.[0].mtu == 1400'
	run dk network ls --filter "name=${P}" --format '{{.Name}}'
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "${P}a ${P}b " ]
}

@test "network ls filters: type, driver, label, name, id, dangling; bad filters refused" {
	run dk network ls --filter type=custom --filter "name=^$P" --format '{{.Name}}'
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "${P}a ${P}b " ]
	run dk network ls --filter type=builtin --format '{{.Name}}'
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "bridge host none " ]
	run dk network ls --filter driver=null --format '{{.Name}}'
	[ "$output" = none ]
	run dk network ls --filter label=t=400 --format '{{.Name}}'
	[ "$output" = "${P}a" ]
	run dk network ls --filter label=a --format '{{.Name}}'
	[ "$output" = "${P}b" ]
	run dk network ls --filter dangling=true --filter "name=$P" --format '{{.Name}}'
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "${P}a ${P}b " ]
	local id
	id=$(dk network inspect -f '{{.Id}}' "${P}a")
	run dk network ls --filter "id=${id:0:8}" --format '{{.Name}}'
	[ "$output" = "${P}a" ]
	api GET '/networks?filters=%7B%22type%22%3A%5B%22other%22%5D%7D'
	[ "$status" = 400 ]
	[ "$(msg)" = "invalid filter: 'type'='other'" ]
	api GET '/networks?filters=%7B%22color%22%3A%5B%22red%22%5D%7D'
	[ "$status" = 400 ]
	[ "$(msg)" = "invalid filter 'color'" ]
}

@test "a name in use is a 409 conflict, also for the docker CLI" {
	create "{\"Name\": \"${P}a\"}"
	[ "$status" = 409 ]
	[ "$(msg)" = "network with name ${P}a already exists" ]
	run dk network create "${P}a"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Error response from daemon: network with name ${P}a already exists"* ]]
	create '{"Name": "bridge"}'
	[ "$status" = 403 ]
	[ "$(msg)" = "operation is not permitted on predefined bridge network " ]
}

@test "an overlapping subnet is refused as docker refuses it, nothing made" {
	create "{\"Name\": \"${P}o\", \"IPAM\": {\"Config\": [{\"Subnet\": \"10.213.252.0/25\"}]}}"
	[ "$status" = 403 ]
	[ "$(msg)" = "Pool overlaps with other one on this address space" ]
	run dk network create --subnet 10.213.200.0/16 "${P}o"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid network config:"*"invalid subnet 10.213.200.0/16: it should be 10.213.0.0/16"* ]]
	run dk network create --subnet 10.213.0.0/16 "${P}o"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Pool overlaps with other one on this address space"* ]]
	api GET "/networks/${P}o"
	[ "$status" = 404 ]
}

@test "bad subnets, gateways, ranges, options and drivers: docker's 400 messages" {
	create "{\"Name\": \"${P}x\", \"IPAM\": {\"Config\": [{\"Subnet\": \"10.213.253.7/24\"}]}}"
	[ "$status" = 400 ]
	[ "$(msg)" = $'invalid network config:\ninvalid subnet 10.213.253.7/24: it should be 10.213.253.0/24' ]
	create "{\"Name\": \"${P}x\", \"IPAM\": {\"Config\": [{\"Subnet\": \"10.213.253.0/24\", \"Gateway\": \"10.213.9.1\", \"IPRange\": \"10.213.9.0/25\"}]}}"
	[ "$status" = 400 ]
	[ "$(msg)" = $'invalid network config:\ninvalid ip-range 10.213.9.0/25: parent subnet 10.213.253.0/24 doesn\'t contain ip-range\ninvalid gateway 10.213.9.1: parent subnet 10.213.253.0/24 doesn\'t contain this address' ]
	create "{\"Name\": \"${P}x\", \"IPAM\": {\"Config\": [{\"Subnet\": \"banana\"}]}}"
	[ "$status" = 400 ]
	[[ "$(msg)" == "invalid subnet banana"* ]]
	create "{\"Name\": \"${P}x\", \"Options\": {\"com.docker.network.driver.mtu\": \"big\"}}"
	[ "$status" = 400 ]
	[ "$(msg)" = "failed to parse com.docker.network.driver.mtu value: big (invalid syntax)" ]
	create "{\"Name\": \"${P}x\", \"Driver\": \"overlay\"}"
	[ "$status" = 400 ]
	[ "$(msg)" = "berth: the 'overlay' network driver is not supported yet" ]
	create "{\"Name\": \"${P}x\", \"EnableIPv6\": true}"
	[ "$status" = 400 ]
	create '{"Name": ""}'
	[ "$status" = 400 ]
	[ "$(msg)" = "invalid name: name is empty" ]
	run dk network create --subnet 10.213.253.0/24 --gateway 10.213.254.1 "${P}x"
	[ "$status" -ne 0 ]
	[[ "$output" == *"gateway 10.213.254.1"* ]] || { echo "$output"; false; }
	api GET "/networks/${P}x"
	[ "$status" = 404 ]
}

@test "a bridge name another network has is refused (403), nothing made" {
	create "{\"Name\": \"${P}c\", \"Options\": {\"com.docker.network.bridge.name\": \"${BRIDGE}x\"}}"
	[ "$status" = 403 ]
	[[ "$(msg)" == "cannot create network "*" (${BRIDGE}x): conflicts with network "*" (${BRIDGE}x): networks have same bridge name" ]]
	create "{\"Name\": \"${P}c\", \"Options\": {\"com.docker.network.bridge.name\": \"$BRIDGE\"}}"
	[ "$status" = 403 ]
	# an interface berth did not make is left alone
	create "{\"Name\": \"${P}c\", \"Options\": {\"com.docker.network.bridge.name\": \"lo\"}}"
	[ "$status" = 403 ]
	[ "$(msg)" = "berth: bridge name lo is in use by an existing interface" ]
	ip -4 -o addr show dev lo | grep -vq 10.213.
	api GET "/networks/${P}c"
	[ "$status" = 404 ]
}

@test "unknown networks: docker's 404, through the API and the docker CLI" {
	api GET "/networks/${P}nope"
	[ "$status" = 404 ]
	[ "$(msg)" = "network ${P}nope not found" ]
	api DELETE "/networks/${P}nope"
	[ "$status" = 404 ]
	run dk network inspect "${P}nope"
	[ "$status" -ne 0 ]
	[[ "$output" == *"network ${P}nope not found"* ]]
	run dk network rm "${P}nope"
	[ "$status" -ne 0 ]
	[[ "$output" == *"network ${P}nope not found"* ]]
	api GET "/networks/bridge?scope=swarm"
	[ "$status" = 404 ]
}

@test "an id prefix two networks share is ambiguous (400), as dockerd says it" {
	local i p=""
	for i in $(seq 17); do
		api GET /networks
		p=$(jq -r '[.[].Id[0:1]] | group_by(.) | map(select(length > 1)) | .[0][0] // empty' <<<"$output")
		[ -n "$p" ] && break
		create "{\"Name\": \"${P}amb$i\"}"
		[ "$status" = 201 ]
	done
	api GET "/networks/$p"
	[ "$status" = 400 ]
	[[ "$(msg)" =~ ^[0-9]+\ matches\ found\ based\ on\ ID\ prefix:\ network\ $p\ is\ ambiguous$ ]]
	for i in $(seq 17); do
		api DELETE "/networks/${P}amb$i"
	done
}

@test "built-in networks cannot be removed (403)" {
	for n in bridge host none; do
		api DELETE "/networks/$n"
		[ "$status" = 403 ]
		[ "$(msg)" = "$n is a pre-defined network and cannot be removed" ]
	done
	run dk network rm bridge
	[ "$status" -ne 0 ]
	[[ "$output" == *"bridge is a pre-defined network and cannot be removed"* ]]
	ip link show dev "$BRIDGE" >/dev/null
}

@test "network rm: bridge and rules gone, destroy event" {
	local since id br
	since=$(date +%s)
	run dk network create "${P}r"
	[ "$status" -eq 0 ]
	id=$output
	br=br-${id:0:12}
	ip link show dev "$br" >/dev/null
	nft list table ip "$NFT_TABLE" | grep -q "$br"
	run dk network rm "${id:0:12}"
	[ "$status" -eq 0 ]
	[ "$output" = "${id:0:12}" ]
	! ip link show dev "$br" 2>/dev/null
	! nft list table ip "$NFT_TABLE" | grep -q "$br"
	api GET "/networks/$id"
	[ "$status" = 404 ]
	run dk events --since "$since" --until "$(($(date +%s) + 1))" --filter type=network \
		--format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}}'
	[[ "$output" == *"create ${P}r bridge"*"destroy ${P}r bridge"* ]]
}

@test "network prune: unused user networks matching the filters, never built-ins" {
	create "{\"Name\": \"${P}p1\", \"Labels\": {\"prune\": \"yes\"}}"
	[ "$status" = 201 ]
	create "{\"Name\": \"${P}p2\", \"Labels\": {\"prune\": \"no\"}}"
	[ "$status" = 201 ]
	api POST '/networks/prune?filters=%7B%22label%22%3A%5B%22prune%3Dyes%22%5D%7D'
	[ "$status" = 200 ]
	[ "$(jq -c . <<<"$output")" = "{\"NetworksDeleted\":[\"${P}p1\"]}" ] || { echo "$output"; false; }
	run dk network prune -f --filter label=prune
	[ "$status" -eq 0 ]
	[[ "$output" == *"${P}p2"* ]]
	api POST '/networks/prune?filters=%7B%22until%22%3A%5B%22bad%22%5D%7D'
	[ "$status" = 400 ]
	api POST '/networks/prune?filters=%7B%22label%22%3A%5B%22nothing-has-this%22%5D%7D'
	[ "$(jq -c . <<<"$output")" = '{"NetworksDeleted":null}' ]
	run dk network ls --format '{{.Name}}'
	[[ "$output" == *bridge* && "$output" == *host* && "$output" == *none* ]]
	[[ "$output" != *"${P}p"* ]]
}

@test "a network in use cannot be removed (403), then can once the container is gone" {
	load_busybox
	run dk network create --label inuse=1 "${P}u"
	[ "$status" -eq 0 ]
	local id=$output
	run dk run -d --name "${P}ct" --network "${P}u" busybox sleep 60
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	api DELETE "/networks/${P}u"
	[ "$status" = 403 ]
	[ "$(msg)" = "error while removing network: network ${P}u id $id has active endpoints" ]
	api GET "/networks/${P}u"
	jq -e --arg n "${P}ct" '[.Containers[].Name] == [$n]' <<<"$output"
	api POST '/networks/prune?filters=%7B%22label%22%3A%5B%22inuse%22%5D%7D'
	[ "$(jq -c . <<<"$output")" = '{"NetworksDeleted":null}' ]
	dk rm -f "${P}ct" >/dev/null
	run dk network rm "${P}u"
	[ "$status" -eq 0 ]
}

@test "connect and disconnect through the API; unknown containers and networks" {
	run dk network create "${P}k"
	[ "$status" -eq 0 ]
	run dk run -d --name "${P}kc" busybox sleep 60
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	api POST "/networks/${P}k/connect" -H 'Content-Type: application/json' \
		-d "{\"Container\": \"${P}kc\", \"EndpointConfig\": {\"Aliases\": [\"kk\"]}}"
	[ "$status" = 200 ] || { echo "$output"; false; }
	api GET "/networks/${P}k"
	jq -e --arg n "${P}kc" '[.Containers[] | .Name] == [$n] and
		([.Containers[] | .IPv4Address][0] | test("/24$"))' <<<"$output"
	api POST "/networks/${P}k/connect" -H 'Content-Type: application/json' \
		-d "{\"Container\": \"${P}nocontainer\"}"
	[ "$status" = 404 ]
	[ "$(msg)" = "No such container: ${P}nocontainer" ]
	api POST "/networks/${P}nonet/connect" -H 'Content-Type: application/json' \
		-d "{\"Container\": \"${P}kc\"}"
	[ "$status" = 404 ]
	[ "$(msg)" = "network ${P}nonet not found" ]
	api POST "/networks/${P}k/disconnect" -H 'Content-Type: application/json' \
		-d "{\"Container\": \"${P}kc\", \"Force\": false}"
	[ "$status" = 200 ] || { echo "$output"; false; }
	api GET "/networks/${P}k"
	jq -e '.Containers == {}' <<<"$output"
	dk rm -f "${P}kc" >/dev/null
	run dk network rm "${P}k"
	[ "$status" -eq 0 ]
}

@test "after a restart: records, bridges (made again if deleted) and the nftables table" {
	local before ida idb
	before=$(curl -s --unix-socket "$SOCK" http://berth/v1.45/networks | jq -c 'sort_by(.Name) | map({Name, Id, IPAM, Options, Labels})')
	ida=$(dk network inspect -f '{{.Id}}' "${P}a")
	note_bridges
	stop_berthd
	ip link del "br-${ida:0:12}"
	ip link del "${BRIDGE}x"
	nft delete table ip "$NFT_TABLE"
	start_berthd
	local after
	after=$(curl -s --unix-socket "$SOCK" http://berth/v1.45/networks | jq -c 'sort_by(.Name) | map({Name, Id, IPAM, Options, Labels})')
	[ "$before" = "$after" ]
	ip -4 -o addr show dev "br-${ida:0:12}" | grep -q inet
	ip -j link show dev "${BRIDGE}x" | jq -e '.[0].mtu == 1400'
	ip -4 -o addr show dev "${BRIDGE}x" | grep -q 'inet 10.213.252.254/24'
	nft list table ip "$NFT_TABLE" | grep -q "br-${ida:0:12}"
	# a new network does not take a subnet of the old ones
	run dk network create "${P}n"
	[ "$status" -eq 0 ]
	idb=$output
	local sa sb
	sa=$(dk network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "${P}a")
	sb=$(dk network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$idb")
	[ "$sa" != "$sb" ]
	[ "$sb" != 10.213.200.0/24 ] && [ "$sb" != 10.213.252.0/24 ]
}

@test "a changed --bip and --mtu update the default bridge's record" {
	note_bridges
	stop_berthd
	start_berthd --bip 10.213.201.1/24 --mtu 1450
	api GET /networks/bridge
	jq -e '.IPAM.Config == [{"Subnet": "10.213.201.0/24", "Gateway": "10.213.201.1"}] and
		.Options["com.docker.network.driver.mtu"] == "1450"' <<<"$output"
	ip -4 -o addr show dev "$BRIDGE" | grep -q 'inet 10.213.201.1/24'
	note_bridges
	stop_berthd
	start_berthd
	api GET /networks/bridge
	jq -e '.IPAM.Config[0].Subnet == "10.213.200.0/24"' <<<"$output"
}
