#!/usr/bin/env bats
# cp, diff and export through a real berthd, with the berth CLI (b) and the
# docker CLI 28 (dk) against the same daemon: both directions on running and
# stopped containers, docker's path rules, ownership (-a), -L, tar streams,
# binary content, hostile symlinks placed in the container (nothing outside
# its root is read or written), errors, diff kinds and export's content.

load daemon

bats_require_minimum_version 1.5.0

setup() {
	W=$BATS_TEST_TMPDIR/w
	mkdir -p "$W"
}

teardown() {
	local id
	for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1; done
	return 0
}

# no overlay of this file's daemon is left mounted but those of running containers
mounted_rootfs() {
	awk -v r="$DROOT" 'index($5, r) == 1 && $5 ~ /\/rootfs$/ {print $5}' /proc/self/mountinfo | wc -l
}

@test "cp: a file both ways, running and stopped, both CLIs" {
	head -c 100000 /dev/urandom > "$W/bin"
	local sum
	sum=$(sha256sum < "$W/bin")
	for cli in b dk; do
		$cli run -d --name "r-$cli" busybox sleep 1000
		$cli create --name "s-$cli" busybox true
		for c in "r-$cli" "s-$cli"; do
			run -0 $cli cp "$W/bin" "$c:/tmp/"
			[ -z "$output" ]
			run -0 $cli cp "$W/bin" "$c:/tmp/renamed"
			rm -f "$W/back" "$W/back2"
			run -0 $cli cp "$c:/tmp/bin" "$W/back"
			run -0 $cli cp "$c:/tmp/renamed" "$W/back2"
			[ "$(sha256sum < "$W/back")" = "$sum" ]
			[ "$(sha256sum < "$W/back2")" = "$sum" ]
		done
		[ "$(mounted_rootfs)" = "$(b ps -q | wc -l)" ]
		run -0 $cli exec "r-$cli" sha256sum /tmp/bin
		[ "${output%% *}" = "${sum%% *}" ]
		# the stopped one runs with the file
		run -0 $cli start -a "s-$cli"
	done
	[ "$(mounted_rootfs)" = "$(b ps -q | wc -l)" ]
}

@test "cp: directories, trailing /. and dest rules, both CLIs" {
	mkdir -p "$W/src/sub"
	echo a > "$W/src/a"
	echo b > "$W/src/sub/b"
	ln -s a "$W/src/link"
	chmod 0741 "$W/src/a"
	for cli in b dk; do
		$cli run -d --name "d-$cli" busybox sleep 1000
		run -0 $cli cp "$W/src" "d-$cli:/tmp"
		run -0 $cli exec "d-$cli" sh -c 'cat /tmp/src/a /tmp/src/sub/b; readlink /tmp/src/link; stat -c %a /tmp/src/a'
		[ "$output" = "$(printf 'a\nb\na\n741')" ]
		run -0 $cli cp "$W/src" "d-$cli:/tmp/newname"
		run -0 $cli exec "d-$cli" cat /tmp/newname/sub/b
		$cli exec "d-$cli" mkdir /tmp/contents
		run -0 $cli cp "$W/src/." "d-$cli:/tmp/contents"
		run -0 $cli exec "d-$cli" ls /tmp/contents
		[ "$output" = "$(printf 'a\nlink\nsub')" ]
		# back to the host
		rm -rf "$W/out"
		mkdir "$W/out"
		run -0 $cli cp "d-$cli:/tmp/src" "$W/out"
		[ "$(cat "$W/out/src/sub/b")" = b ]
		[ "$(readlink "$W/out/src/link")" = a ]
		[ "$(stat -c %a "$W/out/src/a")" = 741 ]
		run -0 $cli cp "d-$cli:/tmp/src/." "$W/out/flat"
		[ "$(cat "$W/out/flat/a")" = a ]
		run -0 $cli cp "d-$cli:/tmp/src" "$W/out/other"
		[ "$(cat "$W/out/other/sub/b")" = b ]
		mkdir "$W/out/into"
		run -0 $cli cp "d-$cli:/tmp/src/." "$W/out/into"
		[ "$(cat "$W/out/into/sub/b")" = b ]
	done
}

# same_err ARGS...: cp fails with status 1 and the same message from both CLIs.
same_err() {
	run -1 --separate-stderr dk cp "$@"
	# (the docker CLI may log its tar writer's broken pipe first)
	local want=${stderr##*$'\n'}
	run -1 --separate-stderr b cp "$@"
	echo "want: $want" >&2
	echo "got:  $stderr" >&2
	[ "$stderr" = "$want" ]
	[ -n "$want" ]
}

@test "cp: errors in docker's words, nothing changed" {
	b run -d --name e1 busybox sleep 1000
	b create --name e2 busybox true
	echo x > "$W/f"
	for c in e1 e2; do
		same_err "$c:/nope" "$W/x"
		[ "$stderr" = "Error response from daemon: Could not find the file /nope in container $c" ]
		same_err "$W/f" "$c:/nodir/sub/f"
		[ "$stderr" = "Error response from daemon: Could not find the file /nodir/sub in container $c" ]
		same_err "$W/f" "$c:/etc/passwd/"
		same_err "$W/f" "$c:/etc/passwd/x"
		same_err "$W/f" "$c:/nodir/"
		same_err "$c:/etc" "$W/f"
		[ "$(cat "$W/f")" = x ]
		same_err "$c:/etc/passwd" "$W/nodir/passwd"
		same_err "$c:/etc/passwd" "$W/f/passwd"
		same_err "$c:/etc/passwd" "$W/nodir/"
		same_err "$W/nope" "$c:/tmp"
		same_err - "$c:/etc/passwd" < /dev/null
		[ "$stderr" = "destination \"$c:/etc/passwd\" must be a directory" ]
	done
	same_err "$W/f" nosuch:/tmp
	[ "$stderr" = "Error response from daemon: No such container: nosuch" ]
	same_err nosuch:/etc "$W/x"
	same_err "$W/f" "$W/g"
	same_err e1:/etc e2:/tmp
	[ ! -e "$W/x" ] && [ ! -e "$W/g" ] && [ ! -e "$W/nodir" ]
	run -1 b exec e1 ls /nodir
	[ "$(mounted_rootfs)" = 1 ]
}

@test "cp: the size line on a terminal is docker's" {
	b run -d --name t1 busybox sleep 1000
	echo hi > "$W/f"
	mkdir "$W/d1" "$W/d2"
	run -0 script -qc "$BERTH -H unix://$SOCK cp t1:/etc/passwd $W/d1/" /dev/null
	local mine=$output
	run -0 script -qc "DOCKER_HOST=unix://$SOCK $DOCKER cp t1:/etc/passwd $W/d2/" /dev/null
	[ "${mine//d1/d2}" = "$output" ]
	[[ "$output" == "Successfully copied 2.05kB to $W/d2/"* ]]
	run -0 script -qc "$BERTH -H unix://$SOCK cp $W/f t1:/tmp/" /dev/null
	mine=$output
	run -0 script -qc "DOCKER_HOST=unix://$SOCK $DOCKER cp $W/f t1:/tmp/" /dev/null
	[ "$mine" = "$output" ]
	run -0 script -qc "$BERTH -H unix://$SOCK cp -q $W/f t1:/tmp/" /dev/null
	[ -z "$output" ]
}

@test "cp -a keeps owners, without it root owns; -L follows the source link" {
	mkdir "$W/own"
	echo x > "$W/own/f"
	chown -R 1234:2345 "$W/own"
	ln -s own/f "$W/lnk"
	for cli in b dk; do
		$cli run -d --name "o-$cli" busybox sleep 1000
		$cli cp -a "$W/own" "o-$cli:/a"
		$cli cp "$W/own" "o-$cli:/n"
		run -0 $cli exec "o-$cli" stat -c '%u:%g' /a /a/f /n /n/f
		[ "$output" = "$(printf '1234:2345\n1234:2345\n0:0\n0:0')" ]
		$cli cp "$W/lnk" "o-$cli:/tmp/nofollow"
		$cli cp -L "$W/lnk" "o-$cli:/tmp/follow"
		run -0 $cli exec "o-$cli" sh -c 'readlink /tmp/nofollow; cat /tmp/follow'
		[ "$output" = "$(printf 'own/f\nx')" ]
		$cli exec "o-$cli" sh -c 'echo data > /tmp/target; ln -s /tmp/target /tmp/abs; ln -s target /tmp/rel'
		rm -rf "$W/get"; mkdir "$W/get"
		$cli cp "o-$cli:/tmp/abs" "$W/get/"
		[ "$(readlink "$W/get/abs")" = /tmp/target ]
		$cli cp -L "o-$cli:/tmp/abs" "$W/get/"
		[ "$(cat "$W/get/abs")" = data ] || false
		$cli cp -L "o-$cli:/tmp/rel" "$W/get/r2"
		[ "$(cat "$W/get/r2")" = data ]
	done
}

@test "cp -: tar streams both ways, a large binary file intact" {
	head -c 30000000 /dev/urandom > "$W/big"
	local sum
	sum=$(sha256sum < "$W/big" | cut -d' ' -f1)
	for cli in b dk; do
		$cli create --name "t-$cli" busybox true
		tar -C "$W" -cf - big | $cli cp - "t-$cli:/"
		$cli cp "t-$cli:/big" - > "$W/out.tar"
		[ "$(tar -tf "$W/out.tar")" = big ]
		tar -xOf "$W/out.tar" big | sha256sum | grep -q "$sum"
		rm -f "$W/big2"
		$cli cp "t-$cli:/big" "$W/big2"
		[ "$(sha256sum < "$W/big2" | cut -d' ' -f1)" = "$sum" ]
		$cli cp "t-$cli:/etc/." - | tar -t | grep -qx './passwd'
	done
	[ "$(mounted_rootfs)" = 0 ]
}

@test "cp: hostile symlinks in the container never reach the host" {
	local host=$BATS_TEST_TMPDIR/host
	mkdir -p "$host/dir"
	echo secret > "$host/secret"
	echo keep > "$host/dir/keep"
	echo payload > "$W/payload"
	mkdir "$W/evil" && echo bad > "$W/evil/x"
	# links placed inside the container: to the host's paths, absolute and by ..
	mkdir "$W/links"
	ln -s / "$W/links/evil"
	ln -s "../../../../../../../..$host" "$W/links/up"
	ln -s "$host/dir" "$W/links/absdir"
	ln -s "$host/secret" "$W/links/abssecret"
	mkdir -p "$W/links/etc" && ln -s "../../../../../../..$host/secret" "$W/links/etc/evil"
	for cli in b dk; do
		$cli run -d --name "h-$cli" busybox sleep 1000
		$cli create --name "hs-$cli" busybox true
		for c in "h-$cli" "hs-$cli"; do
			tar -C "$W/links" -cf - . | $cli cp - "$c:/"
			# read escapes: the link's target is looked up in the container
			run $cli cp "$c:/evil$host/secret" "$W/got1"
			[ "$status" -ne 0 ] && [ ! -e "$W/got1" ]
			run $cli cp "$c:/up/secret" "$W/got2"
			[ "$status" -ne 0 ] && [ ! -e "$W/got2" ]
			run $cli cp -L "$c:/abssecret" "$W/got3"
			[ "$status" -ne 0 ] && [ ! -e "$W/got3" ]
			run $cli cp -L "$c:/etc/evil" "$W/got4"
			[ "$status" -ne 0 ] && [ ! -e "$W/got4" ]
			# write escapes: extraction points through links stay inside
			run $cli cp "$W/payload" "$c:/absdir/"
			[ "$status" -ne 0 ]
			run $cli cp "$W/payload" "$c:/up/dir"
			[ "$status" -ne 0 ]
			run $cli cp "$W/payload" "$c:/evil$host/dir/"
			[ "$status" -ne 0 ]
			run $cli cp "$W/evil" "$c:/evil$host/"
			[ "$status" -ne 0 ]
		done
		# with the targets present inside the container, the copies land there
		$cli exec "h-$cli" sh -c "mkdir -p $host/dir && echo inside > $host/secret"
		run -0 $cli cp -L "h-$cli:/abssecret" "$W/got5"
		[ "$(cat "$W/got5")" = inside ] && rm "$W/got5"
		run -0 $cli cp "h-$cli:/up/secret" "$W/got6"
		[ "$(cat "$W/got6")" = inside ] && rm "$W/got6"
		run -0 $cli cp "$W/payload" "h-$cli:/absdir/"
		run -0 $cli cp "$W/payload" "h-$cli:/up/dir/p2"
		run -0 $cli cp "$W/evil" "h-$cli:/evil$host/"
		run -0 $cli exec "h-$cli" cat "$host/dir/payload" "$host/dir/p2" "$host/evil/x"
		[ "$output" = "$(printf 'payload\npayload\nbad')" ]
		# a directory symlink as the extraction target
		$cli exec "h-$cli" ln -s / /tmp/rootlink
		run -0 $cli cp "$W/payload" "h-$cli:/tmp/rootlink/"
		run -0 $cli exec "h-$cli" cat /payload
		[ "$(ls "$host")" = "$(printf 'dir\nsecret')" ]
		[ "$(ls "$host/dir")" = keep ]
		[ "$(cat "$host/secret")" = secret ]
	done
	[ ! -e /payload ]
}

@test "cp: hostile tars (.., absolute names, through links, hard links out) write nothing outside" {
	local host=$BATS_TEST_TMPDIR/host
	mkdir -p "$host"
	echo secret > "$host/secret"
	python3 - "$W" "$host" <<'PY'
import io, sys, tarfile
w, host = sys.argv[1], sys.argv[2]
def tar(name, entries):
    t = tarfile.open(f"{w}/{name}.tar", "w")
    for n, kind, link in entries:
        i = tarfile.TarInfo(n); i.type = kind; i.linkname = link
        data = b"pwned" if kind == tarfile.REGTYPE else b""
        i.size = len(data)
        t.addfile(i, io.BytesIO(data) if data else None)
    t.close()
tar("dotdot", [("../../../../../../../.." + host + "/dotdot", tarfile.REGTYPE, "")])
tar("abs", [(host + "/absolute", tarfile.REGTYPE, "")])
tar("through", [("lnk", tarfile.SYMTYPE, host), ("lnk/through", tarfile.REGTYPE, "")])
tar("reldir", [("up", tarfile.SYMTYPE, "../../../../../../../.." + host), ("up/rel", tarfile.REGTYPE, "")])
tar("hardlink", [("hl", tarfile.LNKTYPE, "../../../../../../../.." + host + "/secret")])
tar("hardabs", [("ha", tarfile.LNKTYPE, host + "/secret")])
PY
	b run -d --name hostile busybox sleep 1000
	b create --name hostile2 busybox true
	for t in dotdot abs through reldir hardlink hardabs; do
		for c in hostile hostile2; do
			run b cp - "$c:/tmp" < "$W/$t.tar"
			run dk cp - "$c:/tmp" < "$W/$t.tar"
		done
	done
	[ "$(ls "$host")" = secret ]
	[ "$(cat "$host/secret")" = secret ]
	[ "$(stat -c %h "$host/secret")" = 1 ]
	[ ! -e "/absolute" ] && [ ! -e /tmp/through ] && [ ! -e /rel ]
	# what did land stayed in the container: an absolute name below the
	# destination, as docker's untar puts it
	run -0 b exec hostile sh -c "cat /tmp$host/absolute; echo; readlink /tmp/lnk"
	[ "$output" = "$(printf 'pwned\n%s' "$host")" ]
}

@test "cp: a read-only rootfs and a read-only volume refuse writes as docker" {
	mkdir "$W/ro"
	echo x > "$W/f"
	b run -d --name ro1 --read-only busybox sleep 1000
	b run -d --name ro2 -v "$W/ro:/ro:ro" busybox sleep 1000
	same_err "$W/f" ro1:/tmp
	[ "$stderr" = "Error response from daemon: container rootfs is marked read-only" ]
	same_err "$W/f" ro2:/ro/
	[ "$stderr" = "Error response from daemon: mounted volume is marked read-only" ]
	# a large upload: the daemon answers before the body is all sent, and
	# berth prints that answer, not a broken pipe (the docker CLI prints
	# either, as it does against dockerd)
	mkdir "$W/bigdir"
	head -c 12582912 /dev/urandom >"$W/bigdir/big"
	run -1 --separate-stderr b cp "$W/bigdir" ro2:/ro/
	[ "$stderr" = "Error response from daemon: mounted volume is marked read-only" ]
	[ -z "$(ls "$W/ro")" ]
	# reading works, from the volume too
	echo vol > "$W/ro/v"
	run -0 b cp ro2:/ro/v "$W/v"
	[ "$(cat "$W/v")" = vol ]
	# stopped: the binds are there too, read-only ones refused
	b stop -t 0 ro2 >/dev/null
	same_err "$W/f" ro2:/ro/
	[ "$stderr" = "Error response from daemon: mounted volume is marked read-only" ]
	run -0 dk cp ro2:/ro/v "$W/v2"
	[ "$(cat "$W/v2")" = vol ]
	# a writable bind of a running container is written through its own view
	mkdir "$W/rw"
	b run -d --name rw1 -v "$W/rw:/rw" busybox sleep 1000
	run -0 dk cp "$W/f" rw1:/rw/
	run -0 b cp "$W/f" rw1:/rw/g
	[ "$(cat "$W/rw/f" "$W/rw/g")" = "$(printf 'x\nx')" ]
	b stop -t 0 rw1 >/dev/null
	echo y > "$W/y"
	run -0 dk cp "$W/y" rw1:/rw/
	run -0 b cp "$W/y" rw1:/rw/y2
	[ "$(cat "$W/rw/y" "$W/rw/y2")" = "$(printf 'y\ny')" ]
	run -0 b cp rw1:/rw/f "$W/back"
	[ "$(cat "$W/back")" = x ]
	[ "$(mounted_rootfs)" = "$(b ps -q | wc -l)" ]
	# the mounts of the copy were the child's own
	! grep -q "$W/rw" /proc/self/mountinfo
	# a named volume of a created container
	b create --name nv -v "cpvol-$$:/data" busybox true
	run -0 dk cp "$W/y" nv:/data/
	run -0 b run --rm -v "cpvol-$$:/data" busybox cat /data/y
	[ "$output" = y ]
	b rm -f nv >/dev/null
	b volume rm "cpvol-$$" >/dev/null
}

@test "cp: a start during a copy into a stopped container shares its rootfs; no mount is left" {
	head -c 50000000 /dev/urandom > "$W/big"
	b create --name race busybox sh -c 'sleep 1; cat /big | wc -c'
	b cp "$W/big" race:/big 3>&- &
	local cp_pid=$!
	sleep 0.1
	run -0 b start -a race
	wait "$cp_pid"
	run -0 b start -a race
	[ "$output" = 50000000 ]
	[ "$(mounted_rootfs)" = 0 ]
	b cp race:/big - 3>&- > /dev/null &
	cp_pid=$!
	b rm -f race
	wait "$cp_pid" || true
	[ "$(mounted_rootfs)" = 0 ]
}

# raw_put CONTAINER BODY_FILE MODE: a PUT archive written by hand on the
# socket; MODE cut (the connection closed half-way through the body) or
# badframe (a chunk size that is not hex); prints the status line (if any).
raw_put() {
	python3 - "$SOCK" "$1" "$2" "$3" <<-'PY'
	import socket, sys
	sock, ctr, body, mode = sys.argv[1:5]
	data = open(body, "rb").read()
	s = socket.socket(socket.AF_UNIX)
	s.connect(sock)
	s.sendall(("PUT /v1.45/containers/%s/archive?path=/ HTTP/1.1\r\nHost: d\r\n"
	           "Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n" % ctr).encode())
	half = len(data) // 2
	s.sendall(b"%x\r\n" % half + data[:half] + b"\r\n")
	if mode == "cut":
	    s.close()
	    sys.exit(0)
	try:
	    s.sendall(b"zz\r\n" + data[half:])
	    s.shutdown(socket.SHUT_WR)
	except OSError:
	    pass  # the daemon answered and closed first
	print(s.makefile("rb").readline().decode().strip())
	PY
}

@test "cp: an upload cut short or badly framed fails alone; the daemon goes on" {
	mkdir -p "$W/src"
	head -c 4000000 /dev/urandom > "$W/src/a"
	head -c 4000000 /dev/urandom > "$W/src/b"
	tar -C "$W/src" -cf "$W/up.tar" a b
	b create --name up1 busybox true >/dev/null
	b run -d --name up2 busybox sleep 1000 >/dev/null
	for c in up1 up2; do
		raw_put "$c" "$W/up.tar" cut
		run -0 raw_put "$c" "$W/up.tar" badframe
		[[ "$output" == "HTTP/1.1 400 "* ]]
		# the tar never landed whole (as with docker, what was extracted
		# before the break stays: b is cut short); a good copy then works
		if b cp "$c:/b" "$W/b-$c"; then
			[ "$(stat -c %s "$W/b-$c")" -lt 4000000 ]
			rm "$W/b-$c"
		fi
		run -0 b cp "$W/src/." "$c:/"
		run -0 b cp "$c:/b" "$W/b-$c"
		cmp "$W/src/b" "$W/b-$c"
	done
	# nothing of the stopped container stays mounted (the running one's only)
	for _ in $(seq 50); do
		[ "$(mounted_rootfs)" = 1 ] && break
		sleep 0.1
	done
	[ "$(mounted_rootfs)" = 1 ]
	run -0 b ps -a --format '{{.Names}}'
	[ "$output" = "$(printf 'up2\nup1')" ]
}

@test "diff: A, C, D in docker's order, running and stopped" {
	for cli in b dk; do
		$cli run -d --name "f-$cli" busybox sh -c 'echo x > /etc/x; rm /etc/group; mkdir -p /new/sub; touch /new/sub/f; echo >> /etc/passwd; sleep 1000'
		sleep 0.5
		run -0 $cli diff "f-$cli"
		[ "$output" = "$(printf 'C /etc\nD /etc/group\nC /etc/passwd\nA /etc/x\nA /new\nA /new/sub\nA /new/sub/f')" ]
		$cli stop -t 0 "f-$cli" >/dev/null
		run -0 $cli diff "f-$cli"
		[ "$output" = "$(printf 'C /etc\nD /etc/group\nC /etc/passwd\nA /etc/x\nA /new\nA /new/sub\nA /new/sub/f')" ]
		$cli create --name "g-$cli" busybox true
		run -0 $cli diff "g-$cli"
		[ -z "$output" ]
		run -1 --separate-stderr $cli diff nosuch
		[ "$stderr" = "Error response from daemon: No such container: nosuch" ]
	done
	run -0 curl -sf --unix-socket "$SOCK" http://d/containers/g-b/changes
	[ "$output" = null ]
}

@test "export: the whole rootfs as a tar, running and stopped; a terminal refused" {
	for cli in b dk; do
		$cli run -d --name "x-$cli" busybox sh -c 'echo added > /added; sleep 1000'
		sleep 0.3
		$cli export "x-$cli" > "$W/run.tar"
		tar -tf "$W/run.tar" | grep -qx added
		tar -tf "$W/run.tar" | grep -qx bin/busybox
		! tar -tf "$W/run.tar" | grep -q '^proc/.'
		$cli stop -t 0 "x-$cli" >/dev/null
		$cli export -o "$W/stopped.tar" "x-$cli"
		run -0 tar -xOf "$W/stopped.tar" added
		[ "$output" = added ]
		# the same listing as the merged rootfs's own
		local root
		$cli start "x-$cli" >/dev/null
		root=$(b inspect -f '{{.GraphDriver.Data.MergedDir}}' "x-$cli")
		diff <(cd "$root" && find . -mindepth 1 | sed 's|^\./||' | sort) <(tar -tf "$W/stopped.tar" | sed 's|/$||' | sort)
		run -1 --separate-stderr script -qec "$([ $cli = b ] && echo "$BERTH -H unix://$SOCK" || echo "DOCKER_HOST=unix://$SOCK $DOCKER") export x-$cli" /dev/null
		[[ "$output" == "cowardly refusing to save to a terminal. Use the -o flag or redirect"* ]]
	done
	[ "$(mounted_rootfs)" = "$(b ps -q | wc -l)" ]
}

@test "events: archive-path, extract-to-dir, export" {
	b create --name ev busybox true
	local since
	since=$(date +%s)
	echo x > "$W/f"
	dk cp "$W/f" ev:/
	dk cp ev:/f "$W/g"
	dk export ev > /dev/null
	run -0 dk events --since "$since" --until "$(($(date +%s) + 1))" --filter container=ev --format '{{.Action}}'
	output=$(grep -vx create <<<"$output")
	[ "$output" = "$(printf 'archive-path\nextract-to-dir\narchive-path\nexport')" ]
}
