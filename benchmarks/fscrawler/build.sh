#!/usr/bin/env bash
# Build FSCrawler's zip distribution from a checkout of its public source, for
# benchmarks/extract_bench.py --end-to-end --fscrawler (never run in CI).
#
#   benchmarks/fscrawler/build.sh /path/to/fscrawler-checkout
#
# Built and measured: dadoonet/fscrawler 3.0-SNAPSHOT at commit FSCRAWLER_COMMIT below.
# Another commit may need other substitutions. Edits the checkout in place (POMs, three
# Java files, one JSON template; idempotent), builds with Maven (needs unzip, perl,
# python3), unpacks the zip into FSCRAWLER_DIST_DIR (default: fscrawler-dist beside the
# checkout) and prints the path of the unpacked distribution on its last line.
set -euo pipefail
SRC=$(cd "${1:?usage: build.sh FSCRAWLER_CHECKOUT}" && pwd)
FSCRAWLER_COMMIT=37343fff8dd5ddeca86ff130c82d5c7901167fce
cd "$SRC"
HEAD=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$HEAD" != "$FSCRAWLER_COMMIT" ]; then
  echo "warning: checkout is at $HEAD, the substitutions were made for $FSCRAWLER_COMMIT" >&2
fi
# Some test-scope jars (randomizedtesting-jupiter 0.3.0) are Java 21 class files, which
# the reactor compiles against even with -DskipTests; FSCrawler itself targets release 17.
export JAVA_HOME=${FSCRAWLER_BUILD_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

# Version substitutions (artifacts Maven Central does not serve here):
# 1. gestalt-config's Jackson 3 modules (gestalt-json-jackson3, gestalt-yaml-jackson3) are
#    served at no version; gestalt-core 0.38.0 is not served either. FSCrawler's code uses
#    only gestalt-core's API; the JSON/YAML loaders are found through ServiceLoader, so the
#    Jackson 2 modules gestalt-json / gestalt-yaml 0.37.1 take their place.
# 2. Apache Tika 3.3.2 is not served: 3.3.1 (the same PDFBox major, 3.0.x).
# 3. Tika's tika-parser-scientific-module, tika-parser-sqlite3-module and
#    tika-langdetect-optimaize are served neither at 3.3.2 nor at 3.3.1: they are dropped from
#    tika/pom.xml. None of the benchmark corpus's formats (PDF, DOC, DOCX, ODT, RTF, CSV) is
#    parsed by them, and language detection (fs.lang_detect) is off by default; FSCrawler's
#    code imports only tika-core's LanguageDetector interface.
# 4. The scientific module holds Tika's GDALParser (geospatial rasters through the external
#    gdalinfo program, which this machine lacks), which TikaInstance.java names: the three
#    lines that build it and hand it to the AutoDetectParser are removed (sed below). It
#    parses none of the corpus's formats.
# 5. log4j-iostreams (used by the FTP plugin only) is served neither at 2.26.1 nor 2.26.0:
#    2.25.3 (the rest of Log4j stays at 2.26.1).
# 6. tools.jackson.jakarta.rs:jackson-jakarta-rs-json-provider is served at no 3.x version
#    tried (3.2.2, 3.2.4, 3.3.0). Only the optional REST server (--rest) registers it: the
#    dependency, its import and its register() line are removed from the rest module. The
#    benchmark never starts the REST server.
# 7. co.elastic.otel:elastic-otel-javaagent (1.12.0, 1.11.0) is not served: the
#    distribution's copy of it is skipped (-Dmdep.skip=true). bin/fscrawler attaches it only
#    when OTEL_ENABLED=true, so the default run is the same without it.
#
# Two patches for diarium's Elasticsearch test node (the integ-test zip of 9.2.0, which has
# neither the rest-root module nor analysis-common, and neither is served as a jar):
# 8. No `GET /`: ElasticsearchClient.getVersionInternal() first reads the system property
#    fscrawler.benchmark.es.version (extract_bench.py sets it from GET /_nodes/_local, the
#    node's real version) and asks `GET /` only without it. One request at start-up.
# 9. No path_hierarchy tokenizer nor mapping char filter: in the ES 9 component template
#    fscrawler_mapping_path.json the custom analyzer fscrawler_path (path_hierarchy
#    tokenizer + a "\\ => /" char filter) is replaced by the built-in keyword analyzer on
#    path.real.tree and path.virtual.tree. Those two sub-fields then hold one token per file
#    instead of one per directory level (about 5 here); the content, meta, file and path
#    fields, and all of the extraction, are unchanged.
sed -i -e 's#<gestalt.version>0.38.0</gestalt.version>#<gestalt.version>0.37.1</gestalt.version>#' \
       -e 's#<artifactId>gestalt-yaml-jackson3</artifactId>#<artifactId>gestalt-yaml</artifactId>#' \
       -e 's#<artifactId>gestalt-json-jackson3</artifactId>#<artifactId>gestalt-json</artifactId>#' \
       -e 's#<tika.version>3.3.2</tika.version>#<tika.version>3.3.1</tika.version>#' \
       pom.xml
find . -name pom.xml -not -path './pom.xml' -exec sed -i \
       -e 's#<artifactId>gestalt-yaml-jackson3</artifactId>#<artifactId>gestalt-yaml</artifactId>#' \
       -e 's#<artifactId>gestalt-json-jackson3</artifactId>#<artifactId>gestalt-json</artifactId>#' {} +

perl -0pi -e 's#\s*<dependency>\s*<groupId>org.apache.tika</groupId>\s*<artifactId>tika-(?:parser-scientific-module|parser-sqlite3-module|langdetect-optimaize)</artifactId>\s*</dependency>##g' tika/pom.xml
perl -0pi -e 's#(<artifactId>log4j-iostreams</artifactId>\s*<version>)\$\{log4j.version\}(</version>)#${1}2.25.3${2}#' pom.xml
perl -0pi -e 's#\s*<dependency>\s*<groupId>tools.jackson.jakarta.rs</groupId>\s*<artifactId>jackson-jakarta-rs-json-provider</artifactId>\s*</dependency>##g' rest/pom.xml
REST_SERVER=rest/src/main/java/fr/pilato/elasticsearch/crawler/fs/rest/RestServer.java
sed -i -e '/^import tools.jackson.jakarta.rs.json.JacksonJsonProvider;$/d' \
       -e '/^ *\.register(JacksonJsonProvider.class)$/d' "$REST_SERVER"
ES_CLIENT=elasticsearch-client/src/main/java/fr/pilato/elasticsearch/crawler/fs/client/ElasticsearchClient.java
if ! grep -q fscrawler.benchmark.es.version "$ES_CLIENT"; then
  perl -0pi -e 's#(logger\.trace\("get version"\);\n)#$1        String pinnedVersion = System.getProperty("fscrawler.benchmark.es.version");\n        if (pinnedVersion != null) {\n            version = pinnedVersion;\n            majorVersion = FsCrawlerUtil.extractMajorVersion(version);\n            minorVersion = FsCrawlerUtil.extractMinorVersion(version);\n            serverless = false;\n            return version;\n        }\n#' "$ES_CLIENT"
fi
grep -q fscrawler.benchmark.es.version "$ES_CLIENT" || { echo "the getVersion patch does not fit" >&2; exit 1; }
python3 - elasticsearch-client/src/main/resources/fr/pilato/elasticsearch/crawler/fs/client/9/_component_templates/fscrawler_mapping_path.json <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    doc = json.load(f)
doc["template"]["settings"].pop("analysis", None)
for name in ("real", "virtual"):
    doc["template"]["mappings"]["properties"]["path"]["properties"][name]["fields"]["tree"]["analyzer"] = "keyword"
with open(path, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
PY
TIKA_INSTANCE=tika/src/main/java/fr/pilato/elasticsearch/crawler/fs/tika/TikaInstance.java
sed -i -e '/^import org.apache.tika.parser.gdal.GDALParser;$/d' \
       -e '/Parser gdalParser = ParserDecorator.withoutTypes(new GDALParser(), exclude);/d' \
       -e '/^ *gdalParser,$/d' \
       -e 's#List.of(PDFParser.class, GDALParser.class)#List.of(PDFParser.class)#' \
       "$TIKA_INSTANCE"
if grep -q GDALParser "$TIKA_INSTANCE"; then
  echo "TikaInstance.java still names GDALParser: the substitution does not fit this commit" >&2
  exit 1
fi

MVN_OPTS=(-B -DskipTests -Dmaven.javadoc.skip -Ddocker.skip=true -Denforcer.skip=true -Dmdep.skip=true
          ${FSCRAWLER_MVN_OFFLINE:+-o})
nice -n 10 mvn "${MVN_OPTS[@]}" -pl distribution -am package
OUT=${FSCRAWLER_DIST_DIR:-$(dirname "$SRC")/fscrawler-dist}
rm -rf "$OUT/fscrawler-distribution-3.0-SNAPSHOT"; mkdir -p "$OUT"
unzip -q distribution/target/fscrawler-distribution-3.0-SNAPSHOT.zip -d "$OUT"
echo "dadoonet/fscrawler $HEAD, built by diarium's benchmarks/fscrawler/build.sh" \
  > "$OUT/fscrawler-distribution-3.0-SNAPSHOT/diarium-build.txt"
echo "$OUT/fscrawler-distribution-3.0-SNAPSHOT"
