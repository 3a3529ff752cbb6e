#!/usr/bin/env bats
# commit, end to end through the berth CLI, the docker CLI and the API: the
# container's upper directory becomes a new layer (a tar with whiteouts, its
# blob in the content store), the config merged as dockerd's commit with
# --change, author and message; running, paused and stopped containers; the
# image survives save, rmi, load and a daemon restart; bad input changes
# nothing in the store.

load helpers
load daemon
load registry

teardown_file() {
	stop_berth_registry
	cleanup_berthd
}

# api METHOD PATH [curl args]: $status is the HTTP status, $output the body.
api() {
	local method=$1 path=$2 out
	shift 2
	out=$(curl -s --unix-socket "$SOCK" -X "$method" -w '\n%{http_code}' "$@" "http://berth$path")
	status=${out##*$'\n'}
	output=${out%$'\n'*}
}

# state_is NAME STATUS: the container's status is STATUS.
state_is() {
	[ "$(b inspect -f '{{.State.Status}}' "$1")" = "$2" ]
}

# store_is LISTING: the store's listing is LISTING.
store_is() {
	[ "$(store_listing)" = "$1" ]
}

# The store's files: blobs, layers and the image records.
store_listing() {
	(cd "$DROOT" && find blobs layers tmp -mindepth 1 -maxdepth 3 | sort)
	b images -a --no-trunc -q | sort
}

# layer_entries IMAGE: the names in the image's top layer tar, sorted.
layer_entries() {
	local top
	top=$(b image inspect -f '{{range .RootFS.Layers}}{{.}} {{end}}' "$1" | awk '{print $NF}')
	tar -tf "$DROOT/blobs/sha256/${top#sha256:}" | sed 's#/$##' | sort
}

@test "commit: a file added, one changed and one deleted; the new image has exactly those changes" {
	b run --name cm1 busybox sh -c \
		'echo new > /new.txt; echo changed > /etc/passwd; rm /etc/group; mkdir -p /d/e; echo f > /d/e/f; echo h >> /etc/hosts'
	run b commit cm1 cm1img:v1
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	local id=$output
	[ "$(b image inspect -f '{{.Id}}' cm1img:v1)" = "$id" ]
	# the layer: the changes and a whiteout, none of berth's run files
	run layer_entries cm1img:v1
	[ "$output" = "$(printf '%s\n' d d/e d/e/f etc etc/.wh.group etc/passwd new.txt)" ]
	# run the new image
	run b run --rm cm1img:v1 sh -c 'cat /new.txt /etc/passwd /d/e/f; ls /etc/group 2>&1; ls /etc'
	[ "${lines[0]}" = new ]
	[ "${lines[1]}" = changed ]
	[ "${lines[2]}" = f ]
	[[ "${lines[3]}" == *"No such file or directory"* ]]
	# /etc/hosts is the new container's own, not the committed one's
	run b run --rm cm1img:v1 grep -c '^h$' /etc/hosts
	[ "$output" = 0 ]
	# one layer more than busybox
	[ "$(b image inspect -f '{{len .RootFS.Layers}}' cm1img:v1)" = \
		$(($(b image inspect -f '{{len .RootFS.Layers}}' busybox) + 1)) ]
	# the docker CLI's commit of the same container: same layer, id printed alike
	run dk commit cm1 cm1dk
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	[ "$(dk image inspect -f '{{json .RootFS.Layers}}' cm1dk)" = \
		"$(dk image inspect -f '{{json .RootFS.Layers}}' cm1img:v1)" ]
	[ "$(dk image inspect -f '{{index .RepoTags 0}}' cm1dk)" = cm1dk:latest ]
	b rm cm1 >/dev/null
	b rmi cm1img:v1 cm1dk >/dev/null
}

@test "commit: an opaque directory, a type change, links, owners and modes come through the layer" {
	b run --name cmo busybox sh -c 'rm -rf /home; mkdir /home; echo only > /home/only;
		rm /etc/passwd; mkdir /etc/passwd; ln -s /home/only /lnk; echo h > /hl1; ln /hl1 /hl2;
		echo m > /mode; chmod 0751 /mode; chown 123:456 /mode; mkdir -m 0700 /pdir'
	b commit cmo cmoimg >/dev/null
	run layer_entries cmoimg
	[[ "$output" == *"home/.wh..wh..opq"* ]]
	run b run --rm cmoimg sh -c 'ls -A /home; test -d /etc/passwd && echo dir; readlink /lnk;
		stat -c "%i %h" /hl1 /hl2; stat -c "%a %u %g" /mode /pdir'
	[ "${lines[0]}" = only ]
	[ "${lines[1]}" = dir ]
	[ "${lines[2]}" = /home/only ]
	[ "${lines[3]}" = "${lines[4]}" ]
	[ "${lines[3]#* }" = 2 ]
	[ "${lines[5]}" = "751 123 456" ]
	[ "${lines[6]}" = "700 0 0" ]
	b rm cmo >/dev/null
	b rmi cmoimg >/dev/null
}

@test "commit --change CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, VOLUME: inspect and behaviour" {
	b run --name cm2 -e KEEP=1 busybox sh -c 'mkdir -p /w && echo hi > /w/f'
	run dk commit -c 'ENV A=1 B=two' -c 'EXPOSE 8080/tcp 53/udp' -c 'LABEL l1=v1 l2="v 2" "l 3"=v3' \
		-c 'USER 1234:1234' -c 'WORKDIR /w' -c 'VOLUME ["/data"]' \
		-c 'ENTRYPOINT ["sh", "-c"]' -c 'CMD ["echo $A $B $KEEP; id -u; pwd; cat f"]' cm2 cm2img
	[ "$status" -eq 0 ]
	run b image inspect -f '{{json .Config.Env}}|{{json .Config.ExposedPorts}}|{{json .Config.Labels}}|{{.Config.User}}|{{.Config.WorkingDir}}|{{json .Config.Volumes}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}' cm2img
	# dockerd's merge: the changed env first, then the container's other variables
	[ "$output" = '["A=1","B=two","KEEP=1","PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]|{"53/udp":{},"8080/tcp":{}}|{"l 3":"v3","l1":"v1","l2":"v 2"}|1234:1234|/w|{"/data":{}}|["sh","-c"]|["echo $A $B $KEEP; id -u; pwd; cat f"]' ]
	run b run --rm cm2img
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1 two 1" ]
	[ "${lines[1]}" = 1234 ]
	[ "${lines[2]}" = /w ]
	[ "${lines[3]}" = hi ]
	# the VOLUME becomes an anonymous volume of a container of the image
	run_detached b create --name cm2c cm2img
	[ "$(b inspect -f '{{range .Mounts}}{{.Type}} {{.Destination}}{{end}}' cm2c)" = "volume /data" ]
	b rm -v cm2c cm2 >/dev/null
	# without a change, the container's own command and settings are kept
	b run --name cm2b -w /tmp -e X=y busybox sh -c 'echo $X from $(pwd)'
	b commit cm2b cm2bimg >/dev/null
	[ "$(b image inspect -f '{{json .Config.Cmd}} {{.Config.WorkingDir}}' cm2bimg)" = \
		'["sh","-c","echo $X from $(pwd)"] /tmp' ]
	run b run --rm cm2bimg
	[ "$output" = "y from /tmp" ]
	b rm cm2b >/dev/null
	b rmi cm2img cm2bimg >/dev/null
}

@test "commit: the container's health check is kept (with StartInterval); HEALTHCHECK changes" {
	run_detached b run -d --name cmh --health-cmd 'true' --health-interval 2s \
		--health-start-interval 1s --health-retries 4 busybox sleep 100
	b commit cmh cmhimg >/dev/null
	[ "$(b image inspect -f '{{json .Config.Healthcheck}}' cmhimg)" = \
		'{"Test":["CMD-SHELL","true"],"Interval":2000000000,"StartInterval":1000000000,"Retries":4}' ]
	dk commit -c 'HEALTHCHECK --interval=5s --timeout=1m30s --start-period=100ms --retries=3 CMD wget -q x' \
		cmh cmhimg2 >/dev/null
	# dockerd's merge: what the change leaves at 0 comes from the container
	[ "$(dk image inspect -f '{{json .Config.Healthcheck}}' cmhimg2)" = \
		'{"Test":["CMD-SHELL","wget -q x"],"Interval":5000000000,"Timeout":90000000000,"StartPeriod":100000000,"StartInterval":1000000000,"Retries":3}' ]
	b commit -c 'HEALTHCHECK CMD ["cat", "/x"]' cmh cmhimg3 >/dev/null
	[ "$(b image inspect -f '{{json .Config.Healthcheck.Test}}' cmhimg3)" = '["CMD","cat","/x"]' ]
	dk commit -c 'HEALTHCHECK NONE' cmh cmhimg4 >/dev/null
	[ "$(b image inspect -f '{{json .Config.Healthcheck.Test}}' cmhimg4)" = '["NONE"]' ]
	# a container of an image with NONE has no health check
	run_detached b run -d --name cmh4 cmhimg4 sleep 100
	[ "$(b inspect -f '{{.State.Health}}' cmh4)" = '<nil>' ]
	local c
	for c in 'HEALTHCHECK --interval=abc CMD true|time: invalid duration "abc"' \
		'HEALTHCHECK FOO|Unknown type "FOO" in HEALTHCHECK (try CMD)' \
		'HEALTHCHECK CMD|Missing command after HEALTHCHECK CMD' \
		'HEALTHCHECK --interval=1us CMD true|Interval "interval" cannot be less than 1ms' \
		'HEALTHCHECK --retries=-1 CMD true|--retries cannot be negative (-1)' \
		'HEALTHCHECK NONE x|HEALTHCHECK NONE takes no arguments'; do
		run dk commit -c "${c%%|*}" cmh bad
		[ "$status" -eq 1 ]
		[ "$output" = "Error response from daemon: ${c#*|}" ] || { echo "$c: $output"; false; }
	done
	b rm -f cmh cmh4 >/dev/null
	b rmi cmhimg cmhimg2 cmhimg3 cmhimg4 >/dev/null
}

@test "commit: author and message in inspect and history, through both CLIs" {
	b run --name cm3 busybox true
	b commit -a 'Jane <jane@example.com>' -m 'first message' cm3 cm3a >/dev/null
	dk commit --author Joe --message 'second message' cm3 cm3b >/dev/null
	[ "$(b image inspect -f '{{.Author}}|{{.Comment}}' cm3a)" = 'Jane <jane@example.com>|first message' ]
	[ "$(dk image inspect -f '{{.Author}}|{{.Comment}}' cm3b)" = 'Joe|second message' ]
	run b history --format '{{.CreatedBy}}|{{.Comment}}' cm3a
	[ "${lines[0]}" = 'true|first message' ]
	run dk history --format '{{.CreatedBy}}|{{.Comment}}' cm3b
	[ "${lines[0]}" = 'true|second message' ]
	[ "$(b history -q cm3a | wc -l)" = $(($(b history -q busybox | wc -l) + 1)) ]
	# the history entry carries the author too, as dockerd's commit writes it
	b save -o "$BATS_TEST_TMPDIR/cm3a.tar" cm3a
	cfg=$(tar -xOf "$BATS_TEST_TMPDIR/cm3a.tar" manifest.json | jq -r '.[0].Config')
	run sh -c "tar -xOf '$BATS_TEST_TMPDIR/cm3a.tar' '$cfg' | jq -c '.history[-1] | [.author, .comment, .created_by]'"
	[ "$output" = '["Jane <jane@example.com>","first message","true"]' ]
	b rm cm3 >/dev/null
	b rmi cm3a cm3b >/dev/null
}

@test "commit of a running container: paused meanwhile, running afterwards; --pause=false; paused and stopped ones" {
	run_detached b run -d --name cm4 busybox sh -c 'echo live > /live; while :; do sleep 1; done'
	wait_for b exec cm4 test -f /live
	local t0
	t0=$(date +%s)
	run b commit -m snap cm4 cm4img
	[ "$status" -eq 0 ]
	local id=$output
	[ "$(b inspect -f '{{.State.Status}}' cm4)" = running ]
	# events: pause, the tag, the commit (comment, imageID, imageRef), unpause
	run sh -c "DOCKER_HOST=unix://$SOCK $DOCKER events --since $t0 --until $(($(date +%s) + 1)) \
		--format '{{.Type}} {{.Action}} {{index .Actor.Attributes \"comment\"}} {{index .Actor.Attributes \"imageID\"}} {{index .Actor.Attributes \"imageRef\"}}' |
		tac | sed '/^container pause/q' | tac"
	[[ "${lines[0]}" =~ ^container\ pause\ *$ ]]
	[ "${lines[1]%% *}" = image ]
	[ "$(echo "${lines[1]}" | cut -d' ' -f2)" = tag ]
	[ "${lines[2]}" = "container commit snap $id cm4img:latest" ] || { printf '%s\n' "${lines[@]}"; false; }
	[[ "${lines[3]}" =~ ^container\ unpause\ *$ ]]
	[ "${#lines[@]}" -eq 4 ]
	run b run --rm cm4img cat /live
	[ "$output" = live ]
	# --pause=false: no pause
	t0=$(date +%s)
	dk commit --pause=false cm4 cm4nopause >/dev/null
	[ "$(b inspect -f '{{.State.Status}}' cm4)" = running ]
	# (the events after the previous commit's unpause, in the same second)
	run sh -c "DOCKER_HOST=unix://$SOCK $DOCKER events --since $t0 --until $(($(date +%s) + 1)) \
		--filter container=cm4 --format '{{.Action}}' | awk '/^unpause\$/ { b = \"\"; next } { b = b \$0 } END { print b }'"
	[ "$output" = commit ] || { echo "got: $output"; false; }
	# a paused container stays paused
	b pause cm4
	b exec cm4 true 2>/dev/null || true
	run dk commit cm4 cm4paused
	[ "$status" -eq 0 ]
	[ "$(b inspect -f '{{.State.Status}}' cm4)" = paused ]
	b unpause cm4
	# a stopped one (its overlay unmounted)
	b exec cm4 sh -c 'echo later > /later'
	b stop -t 1 cm4 >/dev/null
	run b commit cm4 cm4stopped
	[ "$status" -eq 0 ]
	run b run --rm cm4stopped cat /live /later
	[ "$output" = "$(printf 'live\nlater')" ]
	[ "$(b inspect -f '{{.State.Status}}' cm4)" = exited ]
	b rm cm4 >/dev/null
	b rmi cm4img cm4nopause cm4paused cm4stopped >/dev/null
}

@test "commit: the image survives save, rmi and load; a commit on a committed image adds a second layer" {
	b run --name cm5 busybox sh -c 'echo one > /one'
	b commit -m one cm5 cm5img:1 >/dev/null
	b run --name cm5b cm5img:1 sh -c 'echo two > /two; rm /one'
	dk commit -m two cm5b cm5img:2 >/dev/null
	local n
	n=$(b image inspect -f '{{len .RootFS.Layers}}' busybox)
	[ "$(b image inspect -f '{{len .RootFS.Layers}}' cm5img:2)" = $((n + 2)) ]
	run b run --rm cm5img:2 sh -c 'cat /two; ls /one 2>&1'
	[ "${lines[0]}" = two ]
	[[ "${lines[1]}" == *"No such file"* ]]
	local id
	id=$(b image inspect -f '{{.Id}}' cm5img:2)
	b save -o "$BATS_TEST_TMPDIR/cm5.tar" cm5img:2
	b rm cm5 cm5b >/dev/null
	b rmi cm5img:1 cm5img:2 >/dev/null
	run b image inspect cm5img:2
	[ "$status" -ne 0 ]
	dk load -i "$BATS_TEST_TMPDIR/cm5.tar" >/dev/null
	[ "$(b image inspect -f '{{.Id}}' cm5img:2)" = "$id" ]
	[ "$(dk history --format '{{.Comment}}' cm5img:2 | head -2 | tr '\n' ' ')" = "two one " ]
	run b run --rm cm5img:2 sh -c 'cat /two; ls /one 2>&1'
	[ "${lines[0]}" = two ]
	[[ "${lines[1]}" == *"No such file"* ]]
	b rmi cm5img:2 >/dev/null
}

@test "commit: the image is pushed to a registry and pulled back (berth-registry on loopback)" {
	b run --name cmp busybox sh -c 'echo pushed > /pushed; rm /etc/group'
	b commit -m pushed cmp cmpimg >/dev/null
	start_berth_registry
	b tag cmpimg "$BREG_ADDR/cmp:v1"
	run dk push "$BREG_ADDR/cmp:v1"
	[ "$status" -eq 0 ]
	local id
	id=$(b image inspect -f '{{.Id}}' cmpimg)
	b rm cmp >/dev/null
	b rmi cmpimg "$BREG_ADDR/cmp:v1" >/dev/null
	run b pull -q "$BREG_ADDR/cmp:v1"
	[ "$status" -eq 0 ]
	[ "$(b image inspect -f '{{.Id}}' "$BREG_ADDR/cmp:v1")" = "$id" ]
	run b run --rm "$BREG_ADDR/cmp:v1" sh -c 'cat /pushed; ls /etc/group 2>&1'
	[ "${lines[0]}" = pushed ]
	[[ "${lines[1]}" == *"No such file"* ]]
	b rmi "$BREG_ADDR/cmp:v1" >/dev/null
	stop_berth_registry
}

@test "commit through the API: a body Config, no repository (untagged), a created container" {
	b create --name cm6 busybox true >/dev/null
	api POST '/v1.45/commit?container=cm6&comment=api' -H 'Content-Type: application/json' \
		-d '{"Cmd":["echo","from","body"],"Labels":{"k":"v"}}'
	[ "$status" = 201 ]
	local id
	id=$(echo "$output" | jq -r .Id)
	[[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]]
	[ "$(echo "$output" | jq -c .)" = "{\"Id\":\"$id\"}" ]
	[ "$(b image inspect -f '{{json .RepoTags}} {{json .Config.Labels}} {{.Comment}}' "$id")" = '[] {"k":"v"} api' ]
	run b run --rm "$id"
	[ "$output" = "from body" ]
	# the docker CLI lists it untagged
	dk images -a --no-trunc | grep -q "<none> *<none> *$id"
	b rm cm6 >/dev/null
	b rmi "$id" >/dev/null
}

@test "commit: bad input gets docker's errors and leaves the store as it was" {
	b run --name cm7 busybox sh -c 'echo x > /x'
	local before
	before=$(store_listing)
	run b commit nope img
	[ "$status" -eq 1 ]
	[ "$output" = "Error response from daemon: No such container: nope" ]
	run dk commit nope img
	[ "$status" -eq 1 ]
	[ "$output" = "Error response from daemon: No such container: nope" ]
	api POST '/v1.45/commit?container=nope'
	[ "$status" = 404 ]
	# a bad --change, in dockerd's words (and the same through both CLIs)
	run b commit -c 'RUN echo' cm7 badchange
	[ "$status" -eq 1 ]
	local msg=$output
	[[ "$msg" == "Error response from daemon: "*"run"* ]]
	run dk commit -c 'RUN echo' cm7 badchange
	[ "$output" = "$msg" ]
	local c
	for c in 'FROBNICATE x|frobnicate is not a valid change command' \
		'ENV|ENV requires at least one argument' \
		'EXPOSE abc|invalid containerPort: abc' 'EXPOSE 80/foo|invalid proto: foo'; do
		run dk commit -c "${c%%|*}" cm7 badchange
		[ "$status" -eq 1 ]
		[ "$output" = "Error response from daemon: ${c#*|}" ] || { echo "$c: $output"; false; }
		run b commit -c "${c%%|*}" cm7 badchange
		[ "$output" = "Error response from daemon: ${c#*|}" ]
	done
	# a bad repository name: refused by both CLIs before any request
	run dk commit cm7 Bad/Name
	[ "$status" -eq 1 ]
	local dmsg=$output
	run b commit cm7 Bad/Name
	[ "$status" -eq 1 ]
	[ "$output" = "$dmsg" ]
	# and by the daemon
	api POST '/v1.45/commit?container=cm7&repo=Bad/Name'
	[ "$status" = 400 ]
	api POST '/v1.45/commit?container=cm7&repo=ok&tag=bad:tag'
	[ "$status" = 400 ]
	# a bad body
	api POST '/v1.45/commit?container=cm7&repo=ok' -H 'Content-Type: application/json' -d '{"Cmd":'
	[ "$status" = 400 ]
	[ "$(store_listing)" = "$before" ]
	run b image inspect badchange
	[ "$status" -ne 0 ]
	b rm cm7 >/dev/null
}

@test "commit: a client that goes away ends the commit; nothing is left, the container runs on" {
	run_detached b run -d --name cm8 busybox sh -c \
		'dd if=/dev/zero of=/big bs=1M count=400 2>/dev/null; touch /done; while :; do sleep 1; done'
	local i
	for i in $(seq 300); do b exec cm8 test -f /done && break; sleep 0.1; done
	local before
	before=$(store_listing)
	run curl -s --max-time 0.5 --unix-socket "$SOCK" -X POST 'http://berth/v1.45/commit?container=cm8&repo=gone'
	[ "$status" -ne 0 ]
	# the job is killed; the container thawed; what the child stored collected
	wait_for state_is cm8 running
	wait_for store_is "$before"
	[ "$(store_listing)" = "$before" ]
	run b image inspect gone
	[ "$status" -ne 0 ]
	# a complete commit of it afterwards
	run b commit cm8 big
	[ "$status" -eq 0 ]
	[ "$(b inspect -f '{{.State.Status}}' cm8)" = running ]
	b rm -f cm8 >/dev/null
	b rmi big >/dev/null
}

# commit_children: berthd's children that are commit jobs (berthd forks).
commit_children() {
	local p
	for p in $(cat /proc/"$(cat "$BATS_FILE_TMPDIR/berthd.pid")"/task/*/children); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = berthd ] && echo "$p"
	done
	return 0
}

# kill_commit_when CONTAINER TEST...: start a commit of CONTAINER, kill its
# process (berthd's child) once TEST holds, and check the commit failed.
kill_commit_when() {
	local ct=$1 i child=
	shift
	b commit "$ct" killed >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	local cli=$!
	for i in $(seq 100); do
		child=$(commit_children)
		[ -n "$child" ] && break
		sleep 0.02
	done
	[ -n "$child" ]
	for i in $(seq 500); do
		"$@" && break
		sleep 0.02
	done
	"$@"
	kill -9 "$child"
	local st=0
	wait "$cli" || st=$?
	[ "$st" -eq 1 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = \
		"Error response from daemon: commit: the process writing the layer ended abnormally" ]
}

blob_tmp_exists() {
	[ -n "$(ls "$DROOT/blobs/tmp")" ]
}

layer_tmp_exists() {
	compgen -G "$DROOT/layers/tmp-*" >/dev/null
}

@test "commit: a killed commit process fails the commit and leaves nothing" {
	run_detached b run -d --name cm10 busybox sh -c \
		'dd if=/dev/zero of=/big bs=1M count=600 2>/dev/null; touch /done; while :; do sleep 1; done'
	local i
	for i in $(seq 300); do b exec cm10 test -f /done && break; sleep 0.1; done
	local before
	before=$(store_listing)
	# killed while the layer blob is being stored, then while it is unpacked
	kill_commit_when cm10 blob_tmp_exists
	wait_for state_is cm10 running
	wait_for store_is "$before"
	kill_commit_when cm10 layer_tmp_exists
	wait_for state_is cm10 running
	wait_for store_is "$before"
	run b image inspect killed
	[ "$status" -ne 0 ]
	b rm -f cm10 >/dev/null
}

@test "commit: the image is still there after a daemon restart" {
	b run --name cm9 busybox sh -c 'echo kept > /kept'
	local id
	id=$(b commit -m kept cm9 cm9img)
	stop_berthd
	start_berthd
	[ "$(b image inspect -f '{{.Id}} {{.Comment}}' cm9img)" = "$id kept" ]
	run b run --rm cm9img cat /kept
	[ "$output" = kept ]
	b rm cm9 >/dev/null
	b rmi cm9img >/dev/null
}

@test "commit: a daemon stopped during a commit thaws the container; nothing of the commit is left" {
	run_detached b run -d --name cm11 busybox sh -c \
		'dd if=/dev/zero of=/big bs=1M count=600 2>/dev/null; touch /done; while :; do sleep 1; done'
	local i
	for i in $(seq 300); do b exec cm11 test -f /done && break; sleep 0.1; done
	local before
	before=$(store_listing)
	b commit cm11 interrupted >/dev/null 2>&1 3>&- &
	local cli=$!
	wait_for state_is cm11 paused
	stop_berthd
	wait "$cli" || true
	start_berthd
	[ "$(b inspect -f '{{.State.Status}}' cm11)" = running ]
	[ "$(store_listing)" = "$before" ]
	b exec cm11 true
	b rm -f cm11 >/dev/null
}
