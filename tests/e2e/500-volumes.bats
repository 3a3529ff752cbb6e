#!/usr/bin/env bats
# Volumes through a real berthd, driven by the berth CLI (b), the docker CLI
# 28 (dk) and the Engine API: create, ls and its filters, inspect, rm (in use,
# -f), prune (-a), named and anonymous volumes in containers, the copy of the
# image's content into a new volume (hard links and xattrs kept), --volumes-from, rm -v, --rm, the local
# driver's tmpfs and bind options, data kept across container removal, a
# daemon restart (also after SIGKILL) and system prune; docker's errors.

load daemon

bats_require_minimum_version 1.5.0

setup_file() {
	start_berthd
	load_busybox
	# an image with a VOLUME whose path has content
	local work=$BATS_FILE_TMPDIR/volimg
	mkdir -p "$work"
	cp -a "$BATS_FILE_TMPDIR/img/bundle/rootfs" "$work/rootfs"
	mkdir -p "$work/rootfs/data/sub"
	echo image-content > "$work/rootfs/data/hello"
	chmod 0750 "$work/rootfs/data/sub"
	ln -s hello "$work/rootfs/data/link"
	ln "$work/rootfs/data/hello" "$work/rootfs/data/sub/hard"
	python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.origin", b"image")' \
		"$work/rootfs/data/hello"
	MKIMAGE_CONFIG='{"Volumes":{"/data":{}}}' MKIMAGE_TAR_OPTS=--xattrs \
		"$HELPERS/mkimage.sh" "$work/rootfs" "$work/volimg.tar" volimg:latest sh >/dev/null
	b load -i "$work/volimg.tar" >/dev/null
}

teardown() {
	local id
	for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1; done
	for id in $(b volume ls -q 2>/dev/null); do b volume rm -f "$id" >/dev/null 2>&1; done
	return 0
}

api() {
	curl -s --unix-socket "$SOCK" "$@"
}

@test "volume create, ls, inspect, rm: both CLIs, docker's output" {
	run -0 b volume create v1
	[ "$output" = v1 ]
	run -0 dk volume create --label a=b --label c v2
	[ "$output" = v2 ]
	run -0 b volume create --name v3 -o type=tmpfs -o o=size=1m
	[ "$output" = v3 ]
	run -0 dk volume ls
	dls=$output
	run -0 b volume ls
	[ "$output" = "$dls" ]
	[ "${lines[0]}" = "DRIVER    VOLUME NAME" ]
	[ "${lines[1]}" = "local     v1" ]
	for cli in b dk; do
		run -0 $cli volume ls -q
		[ "$output" = "$(printf 'v1\nv2\nv3')" ]
		run -0 $cli volume ls -q --filter label=a=b
		[ "$output" = v2 ]
		run -0 $cli volume ls -q -f name=v[13]
		[ "$output" = "$(printf 'v1\nv3')" ]
		run -0 $cli volume ls -q -f dangling=true -f driver=local
		[ "${#lines[@]}" = 3 ]
		run -0 $cli volume ls --format '{{.Name}} {{.Labels}} {{.Label "a"}}' -f name=v2
		# the docker CLI joins the labels in Go's random map order; berth sorts them
		[ "$output" = "v2 a=b,c= b" ] || { [ $cli = dk ] && [ "$output" = "v2 c=,a=b b" ]; }
	done
	run -0 dk volume inspect v2 v3
	di=$output
	run -0 b volume inspect v2 v3
	[ "$output" = "$di" ]
	run -0 b volume inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}} {{.Options}}' v3
	[ "$output" = "v3 local local $DROOT/volumes/v3/_data map[o:size=1m type:tmpfs]" ]
	[ -d "$DROOT/volumes/v1/_data" ]
	# the same name again: the existing volume
	run -0 dk volume create v1
	run -0 b volume rm v1 v2
	[ "$output" = "$(printf 'v1\nv2')" ]
	[ ! -e "$DROOT/volumes/v1" ]
}

@test "volume: generated names, the API's shapes" {
	run -0 b volume create
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	run -0 api -X POST -H 'Content-Type: application/json' -d '{"Name":"api1","Labels":{"x":"1"}}' http://d/v1.45/volumes/create
	[ "$(jq -r '.Name + " " + .Labels.x + " " + .Scope + " " + .Driver' <<< "$output")" = "api1 1 local local" ]
	run -0 api http://d/v1.45/volumes
	[ "$(jq -r '.Warnings' <<< "$output")" = null ]
	[ "$(jq -r '.Volumes | length' <<< "$output")" = 2 ]
	run -0 api -o /dev/null -w '%{http_code}' -X DELETE 'http://d/v1.45/volumes/nope?force=1'
	[ "$output" = 204 ]
	run -0 api -o /dev/null -w '%{http_code}' -X DELETE 'http://d/v1.45/volumes/nope'
	[ "$output" = 404 ]
	run -0 api -w '%{http_code}' 'http://d/v1.45/volumes?filters=%7B%22bogus%22%3A%7B%22x%22%3Atrue%7D%7D'
	[[ "$output" == *"invalid filter 'bogus'"*400 ]]
}

@test "volume: bad input gets docker's errors and changes nothing" {
	for cli in b dk; do
		run -1 --separate-stderr $cli volume inspect nope
		[ "$stderr" = "Error response from daemon: get nope: no such volume" ] ||
			[[ "$stderr" == *"no such volume"* ]]
		run -1 --separate-stderr $cli volume rm nope
		[ "$stderr" = "Error response from daemon: get nope: no such volume" ]
		run -0 $cli volume rm -f nope
		run -1 --separate-stderr $cli volume create 'a/b'
		[ "$stderr" = 'Error response from daemon: create a/b: "a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path' ]
		run -1 --separate-stderr $cli volume create -o bogus=1 badopt
		[ "$stderr" = 'Error response from daemon: create badopt: invalid option: "bogus"' ]
		run -1 --separate-stderr $cli volume ls -f bogus=1
		[ "$stderr" = "Error response from daemon: invalid filter 'bogus'" ]
		run -1 --separate-stderr $cli volume ls -f dangling=maybe
		[ "$stderr" = "Error response from daemon: invalid filter 'dangling=maybe'" ]
	done
	# a create failing after its volumes were made leaves none behind
	run -125 --separate-stderr dk run -v /anon -v named1:/n --network nonet busybox true
	[[ "$stderr" == *"network nonet not found"* ]]
	run -0 b volume ls -q
	[ "$output" = named1 ]
	run -125 --separate-stderr b run --rm --volume-driver nfsplug -v dv:/d busybox true
	[[ "$stderr" == *'create dv: error looking up volume plugin nfsplug: plugin "nfsplug" not found'* ]]
	b volume rm named1 >/dev/null
	run -0 b volume ls -q
	[ -z "$output" ]
	[ -z "$(ls "$DROOT/volumes")" ]
}

@test "volume in use: refused with docker's message, also with -f" {
	b volume create busy >/dev/null
	id=$(b run -d -v busy:/x busybox sleep 100)
	for cli in b dk; do
		run -1 --separate-stderr $cli volume rm busy
		[ "$stderr" = "Error response from daemon: remove busy: volume is in use - [$id]" ]
		run -1 --separate-stderr $cli volume rm -f busy
		[ "$stderr" = "Error response from daemon: remove busy: volume is in use - [$id]" ]
	done
	b stop -t 0 "$id" >/dev/null
	# a stopped container still uses it, as docker
	run -1 b volume rm busy
	run -0 b volume ls -q -f dangling=false
	[ "$output" = busy ]
	b rm "$id" >/dev/null
	run -0 b volume rm busy
}

@test "named volume: created on first use, image content copied, inspect Mounts, data kept" {
	run -0 b run --name c1 -v nv:/data volimg cat /data/hello
	[ "$output" = image-content ]
	run -0 stat -c '%a' "$DROOT/volumes/nv/_data/sub"
	[ "$output" = 750 ]
	[ "$(readlink "$DROOT/volumes/nv/_data/link")" = hello ]
	# hard links stay links, extended attributes are kept
	[ "$(stat -c %i "$DROOT/volumes/nv/_data/hello")" = "$(stat -c %i "$DROOT/volumes/nv/_data/sub/hard")" ]
	run -0 python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.origin").decode())' \
		"$DROOT/volumes/nv/_data/hello"
	[ "$output" = image ]
	run -0 dk inspect -f '{{json .Mounts}}' c1
	[ "$output" = "[{\"Type\":\"volume\",\"Name\":\"nv\",\"Source\":\"$DROOT/volumes/nv/_data\",\"Destination\":\"/data\",\"Driver\":\"local\",\"Mode\":\"z\",\"RW\":true,\"Propagation\":\"\"}]" ]
	b run --rm -v nv:/data busybox sh -c 'echo mine > /data/hello'
	b rm c1 >/dev/null
	# not copied again: the volume is not empty
	run -0 dk run --rm --mount type=volume,source=nv,target=/data volimg cat /data/hello
	[ "$output" = mine ]
	# nocopy: a new volume stays empty
	run -0 b run --rm -v nc:/data:nocopy volimg ls /data
	[ -z "$output" ]
	# read-only refuses writes
	run -1 --separate-stderr dk run --rm -v nv:/data:ro busybox sh -c 'echo x > /data/f'
	[[ "$stderr" == *"Read-only file system"* ]]
	run -1 b run --rm --mount type=volume,src=nv,dst=/data,readonly busybox touch /data/f
}

@test "anonymous volumes: image VOLUME and -v /path, removed by rm -v and --rm, never named ones" {
	id=$(b create volimg true)
	run -0 b inspect -f '{{range .Mounts}}{{.Type}} {{.Destination}} {{.Mode}} {{.RW}}{{end}}' "$id"
	[ "$output" = "volume /data  true" ]
	anon=$(b inspect -f '{{range .Mounts}}{{.Name}}{{end}}' "$id")
	[[ "$anon" =~ ^[0-9a-f]{64}$ ]]
	run -0 b volume inspect -f '{{json .Labels}}' "$anon"
	[ "$output" = '{"com.docker.volume.anonymous":""}' ]
	b start -a "$id"
	[ "$(cat "$DROOT/volumes/$anon/_data/hello")" = image-content ]
	b rm "$id" >/dev/null
	# plain rm keeps it
	run -0 b volume ls -q
	[ "$output" = "$anon" ]
	b volume rm "$anon" >/dev/null
	id=$(dk create -v /scratch -v named:/n busybox true)
	anon=$(b inspect -f '{{range .Mounts}}{{if eq .Destination "/scratch"}}{{.Name}}{{end}}{{end}}' "$id")
	dk rm -v "$id"
	run -0 b volume ls -q
	[ "$output" = named ]
	for cli in b dk; do
		$cli run --rm -v /tmpanon -v named:/n busybox true
		run -0 b volume ls -q
		[ "$output" = named ]
	done
}

@test "--volumes-from: volumes and binds of another container, :ro" {
	mkdir -p "$BATS_TEST_TMPDIR/hostdir"
	echo host > "$BATS_TEST_TMPDIR/hostdir/f"
	b create --name src -v shared:/shared -v "$BATS_TEST_TMPDIR/hostdir:/host" busybox true >/dev/null
	run -0 dk run --rm --volumes-from src busybox sh -c 'echo hi > /shared/x; cat /host/f'
	[ "$output" = host ]
	run -0 b run --rm --volumes-from src:ro busybox cat /shared/x
	[ "$output" = hi ]
	run -1 b run --rm --volumes-from src:ro busybox touch /shared/y
	run -125 --separate-stderr dk run --rm --volumes-from nope busybox true
	[[ "$stderr" == *"No such container: nope"* ]]
}

@test "local driver options: tmpfs and bind, mounted while used" {
	mkdir -p "$BATS_TEST_TMPDIR/dev"
	echo bound > "$BATS_TEST_TMPDIR/dev/file"
	b volume create -o type=tmpfs -o device=tmpfs -o o=size=2m tv >/dev/null
	dk volume create -o type=none -o o=bind -o device="$BATS_TEST_TMPDIR/dev" bv >/dev/null
	run -0 b run --rm -v tv:/t busybox sh -c 'grep " /t " /proc/mounts'
	[[ "$output" == *tmpfs* ]]
	run -0 b run --rm -v bv:/b busybox cat /b/file
	[ "$output" = bound ]
	b run --rm -v bv:/b busybox sh -c 'echo new > /b/new'
	[ "$(cat "$BATS_TEST_TMPDIR/dev/new")" = new ]
	# nothing left mounted once the last user stopped
	! grep -q "$DROOT/volumes" /proc/self/mountinfo
	run -1 --separate-stderr b volume create -o type=nfs -o device=:/x nfsv
	[ "$stderr" = "Error response from daemon: create nfsv: berth: volume type nfs is not supported yet" ]
	b volume rm tv bv >/dev/null
	[ -f "$BATS_TEST_TMPDIR/dev/file" ]
}

@test "volume prune: anonymous only unless -a, label filters, reclaimed space" {
	b volume create keep >/dev/null
	b volume create --label x=1 lab >/dev/null
	b create -v /anon1 busybox true >/dev/null
	id=$(b ps -aq)
	anon=$(b inspect -f '{{range .Mounts}}{{.Name}}{{end}}' "$id")
	b rm "$id" >/dev/null
	head -c 4096 /dev/zero > "$DROOT/volumes/$anon/_data/f"
	run -0 dk volume prune -f
	[ "$output" = "$(printf 'Deleted Volumes:\n%s\n\nTotal reclaimed space: 4.096kB' "$anon")" ]
	run -0 b volume prune -f
	[ "$output" = "Total reclaimed space: 0B" ]
	run -0 b volume prune -a -f --filter label=x=1
	[ "$output" = "$(printf 'Deleted Volumes:\nlab\n\nTotal reclaimed space: 0B')" ]
	run -0 b volume ls -q
	[ "$output" = keep ]
	run -0 dk volume prune -a -f
	[[ "$output" == *keep* ]]
}

@test "data safety: container rm, system prune without --volumes, daemon restart and SIGKILL" {
	b run --name w1 -v safe:/d busybox sh -c 'echo precious > /d/f'
	b run --name w2 -v /anon busybox true
	b rm w1 w2 >/dev/null
	run -0 b system prune -f
	run -0 b volume ls -q
	[[ "$output" == *safe* ]]
	stop_berthd
	start_berthd
	run -0 b run --rm -v safe:/d busybox cat /d/f
	[ "$output" = precious ]
	stop_berthd KILL
	start_berthd
	run -0 dk volume inspect -f '{{.Name}}' safe
	run -0 b run --rm -v safe:/d busybox cat /d/f
	[ "$output" = precious ]
	run -0 b volume ls -q
	[ "${#lines[@]}" = 2 ]
	# system prune --volumes takes the anonymous one
	run -0 dk system prune -f --volumes
	run -0 b volume ls -q
	[ "$output" = safe ]
}

@test "system df: volume sizes and references" {
	b volume create sized >/dev/null
	head -c 10000 /dev/zero > "$DROOT/volumes/sized/_data/f"
	b create -v sized:/s busybox true >/dev/null
	run -0 api http://d/v1.45/system/df
	[ "$(jq -r '.Volumes[] | select(.Name == "sized") | "\(.UsageData.Size) \(.UsageData.RefCount)"' <<< "$output")" = "10000 1" ]
	run -0 dk system df
	[[ "${lines[3]}" == "Local Volumes   1 "* ]]
}

@test "volume events: create, mount, unmount, destroy" {
	since=$(date +%s)
	b volume create ev >/dev/null
	b run --rm -v ev:/e:ro busybox true
	b volume rm ev >/dev/null
	run -0 dk events --since "$since" --until "$(($(date +%s) + 1))" --filter type=volume --filter volume=ev \
		--format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.destination}} {{index .Actor.Attributes "read/write"}}'
	[ "${lines[0]}" = "create ev <no value> " ]
	[ "${lines[1]}" = "mount ev /e false" ]
	[ "${lines[2]}" = "unmount ev <no value> " ]
	[ "${lines[3]}" = "destroy ev <no value> " ]
	run -0 b events --since "$since" --until "$(($(date +%s) + 1))" --filter volume=ev --format '{{.Type}} {{.Action}}'
	[ "${lines[0]}" = "volume create" ]
}

@test "system df -v and ps --filter volume: both CLIs alike" {
	b volume create dfv >/dev/null
	head -c 2048 /dev/zero > "$DROOT/volumes/dfv/_data/f"
	b create --name dfc -v dfv:/v busybox true >/dev/null
	run -0 dk system df -v
	d=$output
	run -0 b system df -v
	[ "$output" = "$d" ]
	[[ "$output" == *"dfv "*"1 "*"2.048kB"* ]]
	run -0 dk ps -a --filter volume=/v --format '{{.Names}}'
	[ "$output" = dfc ]
	run -0 b ps -a --filter volume=dfv --format '{{.Names}}'
	[ "$output" = dfc ]
}

@test "run -v, --mount type=volume, --volumes-from: berth sends what docker sends" {
	b create --name base -v basev:/b busybox true >/dev/null
	for cli in b dk; do
		$cli create --name "req-$cli" -v rv:/a:ro -v /anon2 \
			--mount type=volume,src=mv,dst=/m,volume-nocopy,volume-label=k=v \
			--volumes-from base:ro busybox true >/dev/null
	done
	fmt='{{json .HostConfig.Binds}} {{json .HostConfig.Mounts}} {{json .HostConfig.VolumesFrom}} {{json .Config.Volumes}}'
	run -0 b inspect -f "$fmt" req-dk
	d=$output
	run -0 b inspect -f "$fmt" req-b
	[ "$output" = "$d" ]
	run -0 b inspect -f '{{range .Mounts}}{{.Destination}}:{{.RW}}:{{.Mode}} {{end}}' req-b
	[[ "$output" == *"/a:false:ro "* && "$output" == *"/b:false:"* && "$output" == *"/m:true:z "* ]]
	run -0 b volume inspect -f '{{json .Labels}}' mv
	[ "$output" = '{"k":"v"}' ]
}

@test "volume-subpath: a directory or file of the volume, links inside only, dockerd's errors" {
	b run --rm -v sp:/v busybox sh -c 'mkdir -p /v/subdir /v/hack /v/empty && echo world > /v/subdir/hello.txt &&
		echo foo > /v/bar.txt && ln -s / /v/hack/root && ln -s ../subdir /v/hack/good && ln -s root /v/hack/bad'
	for cli in b dk; do
		for sub in subdir hack/good; do
			run -0 $cli run --rm --mount type=volume,src=sp,dst=/volume,volume-subpath=$sub busybox \
				sh -c 'cat /volume/hello.txt; ls /volume/bar.txt /volume/hack 2>&1 >/dev/null | wc -l'
			[ "$output" = "$(printf 'world\n2')" ]
		done
		run -0 $cli run --rm --mount type=volume,src=sp,dst=/volume,volume-subpath=bar.txt busybox cat /volume
		[ "$output" = foo ]
		# nothing else of the volume is there; writes land in the subpath
		run -0 $cli run --rm --mount type=volume,src=sp,dst=/volume,volume-subpath=subdir busybox \
			sh -c "echo $cli > /volume/from-$cli"
		[ "$(cat "$DROOT/volumes/sp/_data/subdir/from-$cli")" = $cli ]
		# links out of the volume, and paths leaving it
		run -125 --separate-stderr $cli run --rm --mount type=volume,src=sp,dst=/volume,volume-subpath=hack/root busybox ls /volume
		[[ "$stderr" == *"path concatenation escapes the base directory, base: $DROOT/volumes/sp/_data, subpath: hack/root"* ]]
		run -125 --separate-stderr $cli run --rm --mount type=volume,src=sp,dst=/volume,volume-subpath=hack/bad busybox ls /volume
		[[ "$stderr" == *"path concatenation escapes the base directory"* ]]
		run -125 --separate-stderr $cli run --rm --mount type=volume,src=sp,dst=/volume,volume-subpath=nope busybox true
		[[ "$stderr" == *"cannot access path $DROOT/volumes/sp/_data/nope"* ]]
		for bad in ../../../../etc/passwd /etc a/../../b; do
			run -1 --separate-stderr $cli create --mount "type=volume,src=sp,dst=/volume,volume-subpath=$bad" busybox true
			[ "$stderr" = 'Error response from daemon: invalid mount config for type "volume": subpath must be a relative path within the volume' ]
		done
	done
	# the image's content is copied into an empty subpath of a new place
	run -0 b run --rm --mount type=volume,src=sp,dst=/data,volume-subpath=empty volimg cat /data/hello
	[ "$output" = image-content ]
	[ "$(cat "$DROOT/volumes/sp/_data/empty/hello")" = image-content ]
	# cp reaches the subpath of a running and of a stopped container
	echo cp-in > "$BATS_TEST_TMPDIR/f"
	b create --name spc --mount type=volume,src=sp,dst=/volume,volume-subpath=subdir busybox sleep 1000 >/dev/null
	b cp "$BATS_TEST_TMPDIR/f" spc:/volume/stopped
	[ "$(cat "$DROOT/volumes/sp/_data/subdir/stopped")" = cp-in ]
	b start spc >/dev/null
	b cp "$BATS_TEST_TMPDIR/f" spc:/volume/running
	[ "$(cat "$DROOT/volumes/sp/_data/subdir/running")" = cp-in ]
	run -0 b exec spc ls /volume
	[ "$output" = "$(printf 'from-b\nfrom-dk\nhello.txt\nrunning\nstopped')" ]
	b rm -f spc >/dev/null
	# nothing stays bound
	[ -z "$(awk -v r="$DROOT" 'index($5, r) == 1 && $5 ~ /volume-subpaths/' /proc/self/mountinfo)" ]
}
