#!/usr/bin/env bash
# Test search engines for diarium: one single-node Elasticsearch and one single-node
# OpenSearch on loopback, run as a dedicated non-root user.
#
#   scripts/engines.sh start    fetch (cached), configure, start, wait for health,
#                               write var/engines/env.sh (DIARIUM_TEST_ES_URL, ..._OS_URL)
#   scripts/engines.sh stop     stop both nodes cleanly (TERM, then KILL after 60 s)
#   scripts/engines.sh status   print whether each node answers
#   scripts/engines.sh cluster  a three-node OpenSearch cluster on loopback (HTTP 9270-9272,
#                               transport 9370-9372, heap DIARIUM_CLUSTER_HEAP, 320m),
#                               beside the two test nodes; writes var/engines/cluster.env
#                               (DIARIUM_CLUSTER_URLS, DIARIUM_CLUSTER_HOMES); starts only
#                               the nodes not running, so it also brings a killed node back
#   scripts/engines.sh cluster-stop     stop the three cluster nodes
#   scripts/engines.sh cluster-status   print whether each cluster node answers
#
# Artifacts come from Maven Central through `mvn` (cached in ~/.m2 and var/engines/dl):
#   org.elasticsearch.distribution.integ-test-zip:elasticsearch:9.2.0:zip
#     (newest 9.x zip served at the time of writing: 9.3.0 and 9.4.0 are not served;
#      the zip has no analysis-common module, so only the `hunspell` profile works there)
#   org.opensearch.distribution.integ-test-zip:opensearch:2.19.6:zip
#   org.opensearch.plugin:analysis-common:2.19.6 (installed as modules/analysis-common)
#   org.opensearch.plugin:percolator-client:2.19.6 (installed as modules/percolator)
#   org.opensearch.plugin:lang-painless:2.19.6 and the jars its POM lists (modules/lang-painless,
#     which the k-NN plugin extends)
#   org.opensearch.plugin:opensearch-knn:2.19.1.0:zip (plugins/opensearch-knn: knn_vector fields
#     for hybrid search; the newest 2.19 served, its descriptor given the range "~2.19.1" that
#     OpenSearch accepts for a plugin built on an earlier patch release; only its Lucene
#     engine works, the zip has no native faiss/nmslib libraries; DIARIUM_OS_KNN=0 skips it)
# The Swedish hunspell dictionary comes from Debian's hunspell-sv (scripts/system-packages.txt).
#
# Environment overrides: DIARIUM_ENGINES_DIR (default var/engines), DIARIUM_ENGINE_USER
# (default diarium-engine), ES_JAVA_HOME (a JDK 21+), OPENSEARCH_JAVA_HOME (JDK 17+),
# DIARIUM_ES_PORT (default 9250), DIARIUM_OS_PORT (default 9260), DIARIUM_ENGINE_HEAP (heap of
# each test node, default 512m; a benchmark at a million documents wants more).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

ES_VERSION=9.2.0
OS_VERSION=2.19.6
ES_ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip"
OS_ARTIFACT="org.opensearch.distribution.integ-test-zip:opensearch:${OS_VERSION}:zip"
OS_ANALYSIS_ARTIFACT="org.opensearch.plugin:analysis-common:${OS_VERSION}:jar"
OS_PERCOLATOR_ARTIFACT="org.opensearch.plugin:percolator-client:${OS_VERSION}:jar"
OS_PAINLESS_JARS=(
  "org.opensearch.plugin:lang-painless:${OS_VERSION}:jar"
  "org.opensearch.plugin:opensearch-scripting-painless-spi:${OS_VERSION}:jar"
  org.antlr:antlr4-runtime:4.13.1:jar
  org.ow2.asm:asm:9.7:jar org.ow2.asm:asm-util:9.7:jar org.ow2.asm:asm-tree:9.7:jar
  org.ow2.asm:asm-commons:9.7:jar org.ow2.asm:asm-analysis:9.7:jar
)
OS_KNN_VERSION=2.19.1.0
OS_KNN_ARTIFACT="org.opensearch.plugin:opensearch-knn:${OS_KNN_VERSION}:zip"
# The 2.8 plugin bundled with Debian's maven cannot copy artifacts without a project.
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
HEAP=${DIARIUM_ENGINE_HEAP:-512m}
HEALTH_TIMEOUT=${DIARIUM_ENGINE_HEALTH_TIMEOUT:-240}
HUNSPELL_DIR=/usr/share/hunspell

DIR=${DIARIUM_ENGINES_DIR:-$ROOT/var/engines}
ENGINE_USER=${DIARIUM_ENGINE_USER:-diarium-engine}

log() { printf '\033[1m== engines: %s\033[0m\n' "$*" >&2; }
die() { printf 'engines: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# --- java ----------------------------------------------------------------------------

java_major() {  # java_major JAVA_HOME -> major version number, or 0
  local out
  out=$("$1/bin/java" -version 2>&1 | head -1) || { echo 0; return; }
  out=$(sed -E 's/.*version "([0-9]+)(\.[0-9]+)*.*/\1/' <<<"$out")
  [[ $out =~ ^[0-9]+$ ]] && echo "$out" || echo 0
}

find_jdk() {  # find_jdk MIN_MAJOR [PREFERRED_MAX] -> a JAVA_HOME, newest first within bounds
  local min=$1 max=${2:-999} best="" best_major=0 home major
  for home in /usr/lib/jvm/*; do
    [ -x "$home/bin/java" ] || continue
    [ -L "$home" ] && continue
    major=$(java_major "$home")
    if [ "$major" -ge "$min" ] && [ "$major" -le "$max" ] && [ "$major" -gt "$best_major" ]; then
      best=$home best_major=$major
    fi
  done
  echo "$best"
}

# --- fetching --------------------------------------------------------------------------

fetch() {  # fetch GROUP:ARTIFACT:VERSION:TYPE -> path of the cached file in $DIR/dl
  local coords=$1 g a v t file
  IFS=: read -r g a v t <<<"$coords"
  file="$DIR/dl/$a-$v.$t"
  if [ ! -s "$file" ]; then
    command -v mvn >/dev/null || die "mvn is needed to fetch $coords (apt-get install maven)"
    log "fetching $coords"
    mkdir -p "$DIR/dl"
    if ! mvn -B -q "$DEP_PLUGIN:copy" -Dartifact="$coords" -DoutputDirectory="$DIR/dl" \
        -Dmdep.overWriteReleases=false >"$DIR/dl/mvn-$a.log" 2>&1; then
      tail -20 "$DIR/dl/mvn-$a.log" >&2
      die "could not fetch $coords (see $DIR/dl/mvn-$a.log)"
    fi
    [ -s "$file" ] || die "mvn reported success but $file is missing"
  fi
  echo "$file"
}

# --- the engine user ---------------------------------------------------------------------

ensure_user() {
  is_root || return 0
  if ! id -u "$ENGINE_USER" >/dev/null 2>&1; then
    log "creating user $ENGINE_USER"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      "$ENGINE_USER"
  fi
}

as_engine_user() {  # run a command as the engine user (as is when not root)
  if is_root; then
    runuser -u "$ENGINE_USER" -- "$@"
  else
    "$@"
  fi
}

# The node homes must be reachable by the engine user; a checkout under /root is not.
node_base() {
  if is_root && ! runuser -u "$ENGINE_USER" -- test -x "$DIR"; then
    echo "/var/lib/diarium-engines"
  else
    echo "$DIR/nodes"
  fi
}

# --- ports and health --------------------------------------------------------------------

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {  # free_port START -> first port >= START with it and START+100 both free
  local p=$1
  while port_busy "$p" || port_busy $((p + 100)); do p=$((p + 1)); done
  echo "$p"
}

healthy() {  # healthy URL -> 0 when the cluster answers green or yellow
  curl -fsS --max-time 5 "$1/_cluster/health?wait_for_status=yellow&timeout=3s" 2>/dev/null \
    | grep -Eq '"status":"(green|yellow)"'
}

wait_healthy() {  # wait_healthy NAME URL PIDFILE LOG
  local name=$1 url=$2 pidfile=$3 logfile=$4 waited=0
  while ! healthy "$url"; do
    if [ "$waited" -ge "$HEALTH_TIMEOUT" ]; then
      tail -40 "$logfile" >&2 2>/dev/null || true
      die "$name did not become healthy at $url within ${HEALTH_TIMEOUT}s (log: $logfile)"
    fi
    # The pid file appears only some way into start-up (late on a loaded machine), so a
    # node also counts as alive while a java process runs from its home.
    if [ "$waited" -gt 10 ] && ! pid_alive "$pidfile" \
      && ! pgrep -f -- "$(dirname "$pidfile")/lib" >/dev/null; then
      tail -40 "$logfile" >&2 2>/dev/null || true
      die "$name exited while starting (log: $logfile)"
    fi
    sleep 2
    waited=$((waited + 2))
  done
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --- one node ------------------------------------------------------------------------------

# prepare_home NAME ZIP TOPDIR -> node home, unpacked once and owned by the engine user
prepare_home() {
  local name=$1 zip=$2 top=$3 base home
  base=$(node_base)
  home="$base/$top"
  if [ ! -f "$home/.diarium-ready" ]; then
    log "unpacking $name into $home"
    rm -rf "$home"
    mkdir -p "$base"
    unzip -q "$zip" -d "$base"
    mkdir -p "$home/data" "$home/logs" "$home/tmp" "$home/config/hunspell/sv_SE"
  fi
  install_hunspell "$home"
  echo "$home"
}

install_hunspell() {
  local home=$1 f
  for f in sv_SE.aff sv_SE.dic; do
    [ -f "$HUNSPELL_DIR/$f" ] || die "$HUNSPELL_DIR/$f is missing: install Debian's hunspell-sv (./dev system)"
    # Copied, not linked: the node's security manager only reads inside its config dir.
    cp -L "$HUNSPELL_DIR/$f" "$home/config/hunspell/sv_SE/$f"
  done
}

finish_home() {  # finish_home HOME: mark unpacked, hand over to the engine user
  touch "$1/.diarium-ready"
  if is_root; then chown -R "$ENGINE_USER:" "$1"; fi
}

write_common_yml() {  # write_common_yml FILE HTTP_PORT
  cat >"$1" <<EOF
# Written by scripts/engines.sh; test node only.
cluster.name: diarium-test
node.name: diarium-test-node
network.host: 127.0.0.1
http.port: $2
transport.port: $(($2 + 100))
discovery.type: single-node
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
EOF
}

running_url() {  # running_url HOME -> prints the node's URL when it is up and healthy
  local home=$1 url
  pid_alive "$home/node.pid" && [ -s "$home/port" ] || return 1
  url="http://127.0.0.1:$(cat "$home/port")"
  healthy "$url" || return 1
  echo "$url"
}

configure_node() {  # configure_node HOME CONFIG_FILE PORT [EXTRA_SETTING...]
  local home=$1 config=$2 port=$3
  shift 3
  write_common_yml "$config" "$port"
  cat >>"$config" <<EOF
path.data: $home/data
path.logs: $home/logs
EOF
  [ $# -eq 0 ] || printf '%s\n' "$@" >>"$config"
  echo "$port" >"$home/port"
  finish_home "$home"
  rm -f "$home/node.pid"
}

start_es() {
  local zip home port java
  java=${ES_JAVA_HOME:-$(find_jdk 21)}
  [ -n "$java" ] || die "Elasticsearch $ES_VERSION needs a JDK 21 or newer under /usr/lib/jvm (or ES_JAVA_HOME)"
  zip=$(fetch "$ES_ARTIFACT")
  home=$(prepare_home elasticsearch "$zip" "elasticsearch-$ES_VERSION")
  if ES_URL=$(running_url "$home"); then
    log "elasticsearch already running at $ES_URL"
    return
  fi
  port=$(free_port "${DIARIUM_ES_PORT:-9250}")
  configure_node "$home" "$home/config/elasticsearch.yml" "$port" "xpack.security.enabled: false"
  log "starting elasticsearch $ES_VERSION on 127.0.0.1:$port (java: $java)"
  as_engine_user env ES_JAVA_HOME="$java" ES_JAVA_OPTS="-Xms$HEAP -Xmx$HEAP" \
    ES_TMPDIR="$home/tmp" "$home/bin/elasticsearch" -d -p "$home/node.pid" \
    >"$home/logs/start.out" 2>&1 || { cat "$home/logs/start.out" >&2; die "elasticsearch failed to start"; }
  ES_URL="http://127.0.0.1:$port"
  # Both nodes boot at once (about half a minute each); start waits for them together.
  PENDING+=("elasticsearch|$ES_URL|$home/node.pid|$home/logs/diarium-test.log")
}

install_os_module() {  # install_os_module HOME NAME ARTIFACT DESCRIPTION CLASS...
  # The integ-test zip lacks most modules; Maven Central serves them as plain jars. The
  # first plugin class (of those named) found in the jar is the module's entry point.
  local home=$1 name=$2 artifact=$3 description=$4 jar class="" candidate dir listing
  shift 4
  jar=$(fetch "$artifact")
  dir="$home/modules/$name"
  [ -f "$dir/plugin-descriptor.properties" ] && return
  mkdir -p "$dir"
  cp "$jar" "$dir/"
  # A listing in a variable, not a pipe into grep -q: pipefail would count unzip's
  # SIGPIPE as failure.
  listing=$(unzip -l "$jar")
  for candidate in "$@"; do
    if grep -q "${candidate//.//}.class" <<<"$listing"; then class=$candidate; break; fi
  done
  [ -n "$class" ] || die "no plugin class ($*) found in $jar"
  cat >"$dir/plugin-descriptor.properties" <<EOF
description=$description
version=$OS_VERSION
name=$name
classname=$class
java.version=11
opensearch.version=$OS_VERSION
custom.foldername=
extended.plugins=
has.native.controller=false
EOF
}

install_os_modules() {
  local home=$1
  # snowball/stemmer live in analysis-common (its plugin class was renamed across versions)
  install_os_module "$home" analysis-common "$OS_ANALYSIS_ARTIFACT" \
    'Adds "built in" analyzers to OpenSearch.' \
    org.opensearch.analysis.common.CommonAnalysisModulePlugin \
    org.opensearch.analysis.common.CommonAnalysisPlugin
  # percolator queries match new records against stored alerts (diarium alerts run)
  install_os_module "$home" percolator "$OS_PERCOLATOR_ARTIFACT" \
    "Percolator module adds capability to index queries and query these queries by specifying documents." \
    org.opensearch.percolator.PercolatorPlugin
  # knn_vector fields (hybrid search with the vectors on the node, indexer/elastic/vectors.py)
  [ "${DIARIUM_OS_KNN:-1}" = 0 ] || install_os_knn "$home"
}

install_os_knn() {  # install_os_knn HOME: lang-painless (a module) and the k-NN plugin
  local home=$1 dir coords jar zip
  dir="$home/modules/lang-painless"
  if [ ! -f "$dir/plugin-descriptor.properties" ]; then
    mkdir -p "$dir"
    for coords in "${OS_PAINLESS_JARS[@]}"; do
      jar=$(fetch "$coords")
      cp "$jar" "$dir/"
    done
    cat >"$dir/plugin-security.policy" <<EOF
grant {
  permission java.lang.RuntimePermission "createClassLoader";
  permission java.lang.RuntimePermission "getClassLoader";
};
EOF
    cat >"$dir/plugin-descriptor.properties" <<EOF
description=An easy, safe and fast scripting language for OpenSearch
version=$OS_VERSION
name=lang-painless
classname=org.opensearch.painless.PainlessPlugin
java.version=11
opensearch.version=$OS_VERSION
custom.foldername=
extended.plugins=
has.native.controller=false
EOF
  fi
  dir="$home/plugins/opensearch-knn"
  [ -f "$dir/plugin-descriptor.properties" ] && return
  zip=$(fetch "$OS_KNN_ARTIFACT")
  # Unpacked beside plugins/, never in it: the node loads every folder there.
  rm -rf "$home/knn.tmp"
  mkdir -p "$home/knn.tmp"
  unzip -q "$zip" -d "$home/knn.tmp"
  # Built for 2.19.1: a semver range instead of the exact version lets 2.19.x load it.
  sed -i -E 's/^opensearch\.version=(2\.19\.[0-9]+)$/dependencies={ opensearch: "~\1" }/' \
    "$home/knn.tmp/plugin-descriptor.properties"
  grep -q '^dependencies=' "$home/knn.tmp/plugin-descriptor.properties" \
    || die "the k-NN plugin $OS_KNN_VERSION is not for OpenSearch 2.19 (see $home/knn.tmp)"
  mkdir -p "$home/plugins"
  mv "$home/knn.tmp" "$dir"
  if is_root; then chown -R "$ENGINE_USER:" "$home/modules/lang-painless" "$dir"; fi
}

start_os() {
  local zip home port java
  java=${OPENSEARCH_JAVA_HOME:-$(find_jdk 17 21)}
  [ -n "$java" ] || java=$(find_jdk 17)
  [ -n "$java" ] || die "OpenSearch $OS_VERSION needs a JDK 17 or newer under /usr/lib/jvm (or OPENSEARCH_JAVA_HOME)"
  zip=$(fetch "$OS_ARTIFACT")
  home=$(prepare_home opensearch "$zip" "opensearch-$OS_VERSION")
  install_os_modules "$home"
  if OS_URL=$(running_url "$home"); then
    log "opensearch already running at $OS_URL"
    return
  fi
  port=$(free_port "${DIARIUM_OS_PORT:-9260}")
  configure_node "$home" "$home/config/opensearch.yml" "$port"
  log "starting opensearch $OS_VERSION on 127.0.0.1:$port (java: $java)"
  as_engine_user env OPENSEARCH_JAVA_HOME="$java" OPENSEARCH_JAVA_OPTS="-Xms$HEAP -Xmx$HEAP" \
    OPENSEARCH_TMPDIR="$home/tmp" "$home/bin/opensearch" -d -p "$home/node.pid" \
    >"$home/logs/start.out" 2>&1 || { cat "$home/logs/start.out" >&2; die "opensearch failed to start"; }
  OS_URL="http://127.0.0.1:$port"
  PENDING+=("opensearch|$OS_URL|$home/node.pid|$home/logs/diarium-test.log")
}

stop_node() {  # stop_node HOME
  local home=$1 pid waited=0
  [ -s "$home/node.pid" ] || return 0
  pid=$(cat "$home/node.pid")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $(basename "$home") (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 60 ]; do sleep 1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$home/node.pid"
}

# --- a three-node cluster (issue 18) -------------------------------------------------------

CLUSTER_NODES=3
CLUSTER_HTTP=${DIARIUM_CLUSTER_PORT:-9270}
CLUSTER_HEAP=${DIARIUM_CLUSTER_HEAP:-320m}

cluster_base() { echo "$(node_base)/cluster-opensearch-$OS_VERSION"; }

cluster_yml() {  # cluster_yml NODE_DIR I
  local dir=$1 i=$2 seeds="" managers="" j
  for ((j = 0; j < CLUSTER_NODES; j++)); do
    seeds+="${seeds:+, }\"127.0.0.1:$((CLUSTER_HTTP + 100 + j))\""
    managers+="${managers:+, }\"diarium-cluster-$j\""
  done
  cat >"$dir/config/opensearch.yml" <<EOF
# Written by scripts/engines.sh cluster; a test cluster on loopback only.
cluster.name: diarium-cluster
node.name: diarium-cluster-$i
network.host: 127.0.0.1
http.port: $((CLUSTER_HTTP + i))
transport.port: $((CLUSTER_HTTP + 100 + i))
discovery.seed_hosts: [$seeds]
cluster.initial_cluster_manager_nodes: [$managers]
path.data: $dir/data
path.logs: $dir/logs
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
EOF
}

start_cluster() {
  local zip home java base dir i urls="" homes="" pending=()
  java=${OPENSEARCH_JAVA_HOME:-$(find_jdk 17 21)}
  [ -n "$java" ] || java=$(find_jdk 17)
  [ -n "$java" ] || die "OpenSearch $OS_VERSION needs a JDK 17 or newer under /usr/lib/jvm"
  zip=$(fetch "$OS_ARTIFACT")
  home=$(prepare_home opensearch "$zip" "opensearch-$OS_VERSION")
  install_os_modules "$home"
  base=$(cluster_base)
  for ((i = 0; i < CLUSTER_NODES; i++)); do
    dir="$base/node-$i"
    urls+="${urls:+,}http://127.0.0.1:$((CLUSTER_HTTP + i))"
    homes+="${homes:+,}$dir"
    if pid_alive "$dir/node.pid"; then
      log "cluster node $i already running (pid $(cat "$dir/node.pid"))"
      continue
    fi
    if port_busy $((CLUSTER_HTTP + i)) || port_busy $((CLUSTER_HTTP + 100 + i)); then
      die "port $((CLUSTER_HTTP + i)) or $((CLUSTER_HTTP + 100 + i)) is taken (DIARIUM_CLUSTER_PORT)"
    fi
    mkdir -p "$dir/data" "$dir/logs" "$dir/tmp"
    if [ ! -d "$dir/config" ]; then
      cp -r "$home/config" "$dir/config"
    fi
    cluster_yml "$dir" "$i"
    if is_root; then chown -R "$ENGINE_USER:" "$base"; fi
    rm -f "$dir/node.pid"
    log "starting cluster node $i on 127.0.0.1:$((CLUSTER_HTTP + i)) (heap $CLUSTER_HEAP)"
    as_engine_user env OPENSEARCH_JAVA_HOME="$java" OPENSEARCH_PATH_CONF="$dir/config" \
      OPENSEARCH_JAVA_OPTS="-Xms$CLUSTER_HEAP -Xmx$CLUSTER_HEAP" OPENSEARCH_TMPDIR="$dir/tmp" \
      "$home/bin/opensearch" -d -p "$dir/node.pid" >"$dir/logs/start.out" 2>&1 \
      || { cat "$dir/logs/start.out" >&2; die "cluster node $i failed to start"; }
    pending+=("$i")
  done
  for i in "${pending[@]}"; do
    wait_healthy "cluster node $i" "http://127.0.0.1:$((CLUSTER_HTTP + i))" \
      "$base/node-$i/node.pid" "$base/node-$i/logs/diarium-cluster.log"
    log "cluster node $i healthy"
  done
  mkdir -p "$DIR"
  cat >"$DIR/cluster.env" <<EOF
# Written by scripts/engines.sh cluster; source it for benchmarks/cluster_soak.py.
export DIARIUM_CLUSTER_URLS=$urls
export DIARIUM_CLUSTER_HOMES=$homes
EOF
  log "cluster ready: source $DIR/cluster.env"
}

write_env() {
  mkdir -p "$DIR"
  cat >"$DIR/env.sh" <<EOF
# Written by scripts/engines.sh start; source it to point the tests at the nodes.
export DIARIUM_TEST_ES_URL=$ES_URL
export DIARIUM_TEST_OS_URL=$OS_URL
EOF
}

cmd=${1:-status}
case "$cmd" in
  start)
    command -v curl >/dev/null || die "curl is needed to check node health"
    command -v unzip >/dev/null || die "unzip is needed to unpack the engines"
    mkdir -p "$DIR"
    ensure_user
    PENDING=()
    start_es
    start_os
    for entry in "${PENDING[@]}"; do
      IFS='|' read -r name url pidfile logfile <<<"$entry"
      wait_healthy "$name" "$url" "$pidfile" "$logfile"
      log "$name healthy at $url"
    done
    write_env
    log "ready: source $DIR/env.sh" ;;
  stop)
    base=$(node_base 2>/dev/null || echo "$DIR/nodes")
    for home in "$base/elasticsearch-$ES_VERSION" "$base/opensearch-$OS_VERSION"; do
      [ -d "$home" ] && stop_node "$home"
    done
    rm -f "$DIR/env.sh" ;;
  cluster)
    command -v curl >/dev/null || die "curl is needed to check node health"
    mkdir -p "$DIR"
    ensure_user
    start_cluster ;;
  cluster-stop)
    base=$(cluster_base 2>/dev/null || echo "$DIR/nodes/cluster-opensearch-$OS_VERSION")
    for ((i = 0; i < CLUSTER_NODES; i++)); do
      [ -d "$base/node-$i" ] && stop_node "$base/node-$i"
    done
    rm -f "$DIR/cluster.env" ;;
  cluster-status)
    base=$(cluster_base 2>/dev/null || echo "$DIR/nodes/cluster-opensearch-$OS_VERSION")
    rc=0
    for ((i = 0; i < CLUSTER_NODES; i++)); do
      if pid_alive "$base/node-$i/node.pid"; then
        echo "cluster node $i: running at http://127.0.0.1:$((CLUSTER_HTTP + i))"
      else
        echo "cluster node $i: not running"; rc=1
      fi
    done
    exit $rc ;;
  status)
    base=$(node_base 2>/dev/null || echo "$DIR/nodes")
    rc=0
    for home in "$base/elasticsearch-$ES_VERSION" "$base/opensearch-$OS_VERSION"; do
      if [ -s "$home/port" ] && healthy "http://127.0.0.1:$(cat "$home/port")"; then
        echo "$(basename "$home"): running at http://127.0.0.1:$(cat "$home/port")"
      else
        echo "$(basename "$home"): not running"; rc=1
      fi
    done
    exit $rc ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2 ;;
esac
