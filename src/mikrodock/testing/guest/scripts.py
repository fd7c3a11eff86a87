"""The shell scripts that run inside the test guest (busybox ``sh``), kept as strings.

``INIT`` is PID 1: it loads the kernel modules, mounts the FAT partition (``/flash``, where the
admin password lives in ``/flash/password``), takes an address by DHCP, starts the HTTP server
(``listen`` from :mod:`.listener`, running ``HTTP_HANDLER`` once per connection), watches the
ACPI power button and prints the RouterOS login banner on the serial console.

``HTTP_HANDLER`` answers a small, RouterOS-shaped REST API. Only the parts the CHR tests rely
on: readiness (``/rest/system/resource``), Basic auth, password changes, ``/rest/execute``,
device-mode updates confirmed by a power cycle, reboot and shutdown, ``/rest/interface`` (the
kernel's NICs; ``/rest/interface/ethernet/set`` changes a MAC address), ``/rest/system/clock``
(read and set), ``/rest/system/identity`` (read and set), ``PUT /rest/ip/address`` on ether2..
(the kernel's eth1..), ``/rest/ping``, the script commands ``/system identity set`` and ``/ip
address add`` in ``/rest/execute`` (each script is appended to ``executed`` on the disk),
``/rest/tool/fetch`` into the FAT partition (busybox wget) and extra packages:
``.npk`` files there are "installed" at the next boot (after ``apply-changes`` or a reboot) and
listed by ``/rest/system/package``.
"""

from __future__ import annotations

__all__ = ["HTTP_HANDLER", "INIT", "UDHCPC_SCRIPT"]

INIT = r"""#!/bin/sh
# PID 1 of the mikrodock test guest.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
exec </dev/console >/dev/console 2>&1
stage() { echo "$(cut -d' ' -f1 /proc/uptime) $1" >> /tmp/boot.log; }
stage init

for m in $(cat /lib/modules/order); do
    insmod "/lib/modules/$m.ko" || echo "guest: insmod $m failed"
done

stage modules
version=7.22.3
for word in $(cat /proc/cmdline); do
    case "$word" in mikrodock.version=*) version="${word#*=}" ;; esac
done
channel=stable
case "$version" in *beta*|*rc*) channel=testing ;; esac
echo "$version ($channel)" > /etc/version

i=0
# The disk appears asynchronously after virtio_blk loads: allow a slow (loaded, TCG) host 30 s.
while [ ! -b /dev/vda1 ] && [ "$i" -lt 1500 ]; do usleep 20000; i=$((i + 1)); done
[ "$i" -gt 50 ] && echo "guest: /dev/vda1 appeared after $((i * 20)) ms"
if mount -t vfat -o rw,flush /dev/vda1 /flash; then
    echo /flash > /etc/state
else
    echo "guest: /dev/vda1 not mounted; state kept in memory"
    echo /tmp > /etc/state
fi

state=$(cat /etc/state)
# A device-mode update waits for a power cycle: any boot but one after a REST reboot applies it.
if [ -f "$state/device-mode.pending" ]; then
    [ -f "$state/soft-reboot" ] || cat "$state/device-mode.pending" >> "$state/device-mode"
    rm -f "$state/device-mode.pending"
fi
rm -f "$state/soft-reboot"
# Like RouterOS: .npk files uploaded before a reboot are installed while it boots.
for npk in "$state"/*.npk; do
    [ -f "$npk" ] || continue
    package=${npk##*/}
    echo "${package%%-[0-9]*}" >> "$state/packages"
    rm -f "$npk"
    echo "guest: installed ${package%.npk}"
done
sync
stage flash
power_off() {
    echo "guest: power button, shutting down"
    umount /flash 2>/dev/null
    poweroff -f
}
for d in /sys/class/input/event*; do
    [ -e "$d/device/name" ] || continue
    if [ "$(cat "$d/device/name")" = "Power Button" ]; then
        (dd if="/dev/input/${d##*/}" of=/dev/null bs=24 count=1 2>/dev/null && power_off) &
    fi
done

stage button
ip link set lo up
ip link set eth0 up
udhcpc -i eth0 -s /etc/udhcpc.script -q -n -t 20 -T 1 -f >/dev/null 2>&1 ||
    echo "guest: no DHCP lease on eth0"
stage dhcp
listen 80 /etc/http.sh &  # see listener.py: nc -ll drops all but 2 waiting connections
stage http

printf '\n\n  MikroTik %s\n  https://www.mikrotik.com/\n\n' "$(cat /etc/version)"
export HOME=/ PS1='[admin@MikroTik] > '
while true; do
    printf 'MikroTik Login: '
    read -r login || { sleep 1; continue; }
    printf 'Password: '
    read -r password
    setsid -c sh -i </dev/ttyS0 >/dev/ttyS0 2>&1
done
"""

UDHCPC_SCRIPT = r"""#!/bin/sh
case "$1" in
bound|renew)
    ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}"
    [ -n "$router" ] && route add default gw "${router%% *}" dev "$interface"
    ;;
deconfig)
    ifconfig "$interface" 0.0.0.0
    ;;
esac
exit 0
"""

HTTP_HANDLER = r"""#!/bin/sh
# One request per connection (nc -ll forks one per client); answers like RouterOS's REST API.
cr=$(printf '\r')
read -r state < /etc/state
read -r method target proto
len=0
auth=
while read -r line; do
    line=${line%"$cr"}
    [ -z "$line" ] && break
    case "$line" in
        [Cc]ontent-[Ll]ength:*) len=${line#*:}; len=${len# } ;;
        [Aa]uthorization:*) auth=${line#*:}; auth=${auth# } ;;
    esac
done
body=
case "$len" in ''|*[!0-9]*) len=0 ;; esac
[ "$len" -gt 0 ] && body=$(head -c "$len")
path=${target%%\?*}

reply() {  # reply STATUS BODY [CONTENT-TYPE] [EXTRA-HEADER]
    printf 'HTTP/1.1 %s\r\nServer: mikrodock-test-guest\r\nContent-Type: %s\r\n' \
        "$1" "${3:-application/json}"
    [ -n "$4" ] && printf '%s\r\n' "$4"
    printf 'Content-Length: %s\r\nConnection: close\r\n\r\n%s' "${#2}" "$2"
}
error() {  # error CODE MESSAGE [DETAIL]
    if [ -n "$3" ]; then
        reply "$1 $2" "{\"detail\":\"$3\",\"error\":$1,\"message\":\"$2\"}"
    else
        reply "$1 $2" "{\"error\":$1,\"message\":\"$2\"}"
    fi
}
field() {  # field NAME: a string value of the JSON request body
    sp='[[:space:]]*'
    printf '%s' "$body" | sed -n 's/.*"'"$1\"$sp:$sp"'"\(\([^"\\]\|\\.\)*\)".*/\1/p'
}
password() {  # builtins only: every program started costs the emulated guest dearly
    pw=
    [ -f "$state/password" ] && { read -r pw < "$state/password" || true; }
    printf '%s' "$pw"
}
set_password() {
    printf '%s' "$1" > "$state/password.new" && mv "$state/password.new" "$state/password"
    sync
}
duration() {  # seconds -> RouterOS duration (1w2d3h4m5s)
    s=$1 out=
    [ "$s" -ge 604800 ] && out="${out}$((s / 604800))w" && s=$((s % 604800))
    [ "$s" -ge 86400 ] && out="${out}$((s / 86400))d" && s=$((s % 86400))
    [ "$s" -ge 3600 ] && out="${out}$((s / 3600))h" && s=$((s % 3600))
    [ "$s" -ge 60 ] && out="${out}$((s / 60))m" && s=$((s % 60))
    [ "$s" -gt 0 ] || [ -z "$out" ] && out="${out}${s}s"
    printf '%s' "$out"
}
resource() {  # builtins but for df, so the answer comes quickly
    read -r up _ < /proc/uptime
    up=${up%%.*}
    vendor= product= version= mem_total=0 mem_free=0 cpus=0
    read -r vendor 2>/dev/null < /sys/class/dmi/id/sys_vendor
    read -r product 2>/dev/null < /sys/class/dmi/id/product_name
    read -r version < /etc/version
    while read -r key value _; do
        case "$key" in
            MemTotal:) mem_total=$((value * 1024)) ;;
            MemFree:) mem_free=$((value * 1024)) ;;
        esac
    done < /proc/meminfo
    while read -r key _; do
        [ "$key" = processor ] && cpus=$((cpus + 1))
    done < /proc/cpuinfo
    board="CHR ${vendor:-QEMU} ${product:-Standard PC}"
    set -- $(df -k "$state")
    shift $(($# - 6))
    hdd_total=$(($2 * 1024)) hdd_free=$(($4 * 1024))
    printf '{"architecture-name":"x86_64","board-name":"%s",' "$board"
    printf '"build-time":"2026-01-01 00:00:00","cpu":"QEMU","cpu-count":"%s",' "$cpus"
    printf '"cpu-frequency":"2400","cpu-load":"0","factory-software":"7.1",'
    printf '"free-hdd-space":"%s","free-memory":"%s","platform":"MikroTik",' "$hdd_free" "$mem_free"
    printf '"total-hdd-space":"%s","total-memory":"%s","uptime":"%s",' "$hdd_total" "$mem_total" \
        "$(duration "$up")"
    printf '"version":"%s","write-sect-since-reboot":"0","write-sect-total":"0"}' "$version"
}
later() { (sleep 1; "$@") >/dev/null 2>&1 & }
identity() {
    name=MikroTik
    [ -f "$state/identity" ] && read -r name < "$state/identity"
    printf '%s' "$name"
}
set_identity() { printf '%s\n' "$1" > "$state/identity"; sync; }
add_address() {  # add_address ADDRESS/PREFIX etherN: 0 when done
    case "$2" in ether[2-9]) dev=eth$((${2#ether} - 1)) ;; *) return 1 ;; esac
    [ -e "/sys/class/net/$dev" ] || return 1
    ip link set "$dev" up && ip addr add "$1" dev "$dev"
}
run_script() {  # the few script commands the guest knows; the rest is ignored
    printf '%s\n' "$1" >> "$state/executed"
    printf '%s' "$1" | sed 's/\\n/\n/g; s/;/\n/g' > /tmp/script.rsc
    while read -r line; do
        set -- $line
        case "$1 $2 $3" in
            "/system identity set") set_identity "${4#name=}" ;;
            "/ip address add")
                a= i=
                for word in "$@"; do
                    case "$word" in address=*) a=${word#*=} ;; interface=*) i=${word#*=} ;; esac
                done
                add_address "$a" "$i" ;;
        esac
    done < /tmp/script.rsc
    sync
}
devmode_keys="allowed-versions attempt-count bandwidth-test container email fetch flagged
flagging-enabled hotspot install-any-version ipsec l2tp mode partitions pptp proxy romon
routerboard scheduler smb sniffer socks traffic-gen zerotier"
devmode_default() {
    case "$1" in
        allowed-versions) echo "7.13+,6.49.8+" ;;
        attempt-count) echo 0 ;;
        mode) echo advanced ;;
        container|flagged|install-any-version|partitions|routerboard|traffic-gen) echo false ;;
        *) echo true ;;
    esac
}
device_mode() {
    out= sep=
    for key in $devmode_keys; do
        value=$(sed -n "s/^$key=//p" "$state/device-mode" 2>/dev/null | tail -n 1)
        [ -n "$value" ] || value=$(devmode_default "$key")
        out="$out$sep\"$key\":\"$value\""
        sep=,
    done
    printf '{%s}' "$out"
}
seconds() {  # RouterOS time interval (30s, 5m, 1h, 1d, 00:05:00, 300) -> seconds
    case "$1" in
        *[!0-9smhd:]*|'') return 1 ;;
        *:*:*)
            saved=$IFS
            IFS=:
            set -- $1
            IFS=$saved
            echo $((${1#0} * 3600 + ${2#0} * 60 + ${3#0})) ;;
        *d) echo $((${1%d} * 86400)) ;;
        *h) echo $((${1%h} * 3600)) ;;
        *m) echo $((${1%m} * 60)) ;;
        *s) echo "${1%s}" ;;
        *) echo "$1" ;;
    esac
}
device_mode_update() {
    keys=$(printf '%s' "$body" | grep -o '"[^"]*"[[:space:]]*:' | sed 's/^"\([^"]*\)".*/\1/')
    pending= timeout=300
    for key in $keys; do
        value=$(field "$key")
        case "$key" in
            activation-timeout)
                timeout=$(seconds "$value") || timeout=-1
                if [ "$timeout" -lt 10 ] || [ "$timeout" -gt 86400 ]; then
                    error 400 "Bad Request" \
                        "value of activation-timeout is out of range (00:00:10 .. 1d00:00:00)"
                    return
                fi ;;
            mode)
                case "$value" in
                    advanced|basic|home|rose|enterprise) pending="${pending}mode=$value\n" ;;
                    *) error 400 "Bad Request" "input does not match any value of mode"; return ;;
                esac ;;
            allowed-versions|attempt-count|flagged|flagging-enabled|routerboard)
                error 400 "Bad Request" "unknown parameter $key"; return ;;
            *)
                case " $(echo $devmode_keys) " in
                    *" $key "*) ;;
                    *) error 400 "Bad Request" "unknown parameter $key"; return ;;
                esac
                case "$value" in
                    yes|true) pending="${pending}$key=true\n" ;;
                    no|false) pending="${pending}$key=false\n" ;;
                    *) error 400 "Bad Request" "input does not match any value of $key"; return ;;
                esac ;;
        esac
    done
    # Like RouterOS: wait for the power cycle; the answer only comes if none happens in time.
    printf "$pending" > "$state/device-mode.pending"
    sync
    echo "device-mode: update pending; power cycle within ${timeout}s to apply it" >/dev/console
    sleep "$timeout"
    rm -f "$state/device-mode.pending"
    sync
    error 400 "Bad Request" "update canceled"
}

case "$path" in
    /|/index.html|/webfig/)
        page="<html><head><title>RouterOS router configuration page</title></head>"
        reply "200 OK" "$page<body>mikrodock test guest</body></html>" "text/html"
        exit 0 ;;
    /rest|/rest/*) ;;
    *) error 404 "Not Found"; exit 0 ;;
esac

given=
case "$auth" in "Basic "*) given=$(printf '%s' "${auth#Basic }" | base64 -d 2>/dev/null) ;; esac
if [ "$given" != "admin:$(password)" ]; then
    reply "401 Unauthorized" '{"error":401,"message":"Unauthorized"}' "" \
        'WWW-Authenticate: Basic realm="mikrodock test guest"'
    exit 0
fi

case "$method $path" in
    "GET /rest/system/resource")
        reply "200 OK" "$(resource)" ;;
    "GET /rest/system/identity")
        reply "200 OK" "{\"name\":\"$(identity)\"}" ;;
    "POST /rest/system/identity/set")
        set_identity "$(field name)"
        reply "200 OK" "[]" ;;
    "PUT /rest/ip/address")
        if add_address "$(field address)" "$(field interface)"; then
            reply "200 OK" "{\".id\":\"*1\",\"address\":\"$(field address)\"}"
        else
            error 400 "Bad Request" "input does not match any value of interface"
        fi ;;
    "POST /rest/ping")
        count=$(field count)
        case "$count" in ''|*[!0-9]*) count=3 ;; esac
        got=$(ping -c "$count" -W 1 "$(field address)" 2>/dev/null | grep -c 'bytes from')
        reply "200 OK" "[{\"sent\":\"$count\",\"received\":\"$got\",\
\"packet-loss\":\"$(((count - got) * 100 / count))\"}]" ;;
    "GET /rest/system/device-mode")
        reply "200 OK" "$(device_mode)" ;;
    "POST /rest/system/device-mode/update")
        device_mode_update ;;
    "GET /rest/system/package")
        release=$(cut -d' ' -f1 /etc/version)
        out= n=1
        for extra in routeros $(sort -u "$state/packages" 2>/dev/null); do
            out="$out${out:+,}{\".id\":\"*$n\",\"available\":\"false\",\"disabled\":\"false\",\
\"name\":\"$extra\",\"scheduled\":\"\",\"size\":\"20706188\",\"version\":\"$release\"}"
            n=$((n + 1))
        done
        reply "200 OK" "[$out]" ;;
    "POST /rest/system/package/apply-changes")
        : > "$state/soft-reboot"
        sync
        reply "200 OK" "[]"; later reboot -f ;;
    "POST /rest/tool/fetch")
        dst=$(field dst-path)
        dst=${dst##*/}
        if [ "$(field output)" != file ] || [ -z "$dst" ]; then
            error 400 "Bad Request" "this guest fetches to a file only"
        elif wget -q -O "$state/$dst.part" "$(field url)" &&
            mv "$state/$dst.part" "$state/$dst"; then
            sync
            size=$(wc -c < "$state/$dst")
            reply "200 OK" "[{\"downloaded\":\"$((size / 1024))\",\"status\":\"finished\"}]"
        else
            rm -f "$state/$dst.part"
            error 400 "Bad Request" "failure: could not fetch $(field url)"
        fi ;;
    "GET /rest/interface")
        # ethN as RouterOS names it: ether(N+1), in the kernel's order of the NICs.
        out= sep= n=0
        for dev in /sys/class/net/eth*; do
            [ -e "$dev/address" ] || continue
            n=$((n + 1))
            mac=$(tr a-f A-F < "$dev/address")
            ether=$((${dev##*eth} + 1))
            out="$out$sep{\".id\":\"*$n\",\"name\":\"ether$ether\",\"type\":\"ether\",\"mac-address\":\"$mac\"}"
            sep=,
        done
        reply "200 OK" "[$out]" ;;
    "POST /rest/interface/ethernet/set")
        which=$(field numbers)
        [ -n "$which" ] || which=$(field .id)
        case "$which" in
            ether[1-9]) dev=eth$((${which#ether} - 1)) ;;
            \*[1-9]) dev=eth$((${which#\*} - 1)) ;;
            *) dev= ;;
        esac
        mac=$(field mac-address)
        if [ -z "$dev" ] || [ ! -e "/sys/class/net/$dev" ]; then
            error 400 "Bad Request" "no such item"
        elif [ -n "$mac" ] && ! ifconfig "$dev" hw ether "$mac" 2>/dev/null; then
            error 400 "Bad Request" "invalid value of mac-address"
        else
            reply "200 OK" "[]"
        fi ;;
    "GET /rest/system/clock")
        reply "200 OK" "{\"date\":\"$(date -u +%Y-%m-%d)\",\"time\":\"$(date -u +%H:%M:%S)\",\
\"time-zone-name\":\"UTC\",\"gmt-offset\":\"+00:00\",\"dst-active\":\"false\"}" ;;
    "POST /rest/system/clock/set")
        if date -u -s "$(field date) $(field time)" >/dev/null 2>&1; then
            reply "200 OK" "[]"
        else
            error 400 "Bad Request" "invalid time value"
        fi ;;
    "GET /rest/user")
        reply "200 OK" '[{".id":"*1","disabled":"false","group":"full","name":"admin"}]' ;;
    "POST /rest/execute")
        script=$(field script)
        run_script "$script"
        case "$script" in
            ":put "*) ret=${script#:put }; ret=${ret#\\\"}; ret=${ret%\\\"} ;;
            *) ret= ;;
        esac
        reply "200 OK" "{\"ret\":\"$ret\"}" ;;
    "POST /rest/password")
        if [ "$(field old-password)" != "$(password)" ]; then
            error 400 "Bad Request" "old password is not valid"
        elif [ "$(field new-password)" != "$(field confirm-new-password)" ]; then
            error 400 "Bad Request" "new passwords do not match"
        else
            set_password "$(field new-password)"
            reply "200 OK" "[]"
        fi ;;
    "POST /rest/user/set")
        target_user=$(field .id)
        [ -n "$target_user" ] || target_user=$(field numbers)
        case "$target_user" in
            admin|\*1) set_password "$(field password)"; reply "200 OK" "[]" ;;
            *) error 400 "Bad Request" "no such item" ;;
        esac ;;
    "POST /rest/system/reboot")
        : > "$state/soft-reboot"
        sync
        reply "200 OK" "[]"; later reboot -f ;;
    "POST /rest/system/shutdown")
        reply "200 OK" "[]"; later poweroff -f ;;
    *)
        error 404 "Not Found" "no such command or directory (${path#/rest/})" ;;
esac
"""
