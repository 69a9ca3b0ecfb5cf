# The memory budget of a host: what each unit needs, in RAM and in VRAM,
# from the models' architecture facts (lib/models.json), the inference
# settings and the measured figures of lib/memory.json. Pure: builtins only.
#
#   memoryBudget { tier; systemRamGb; vramGb ? null; gpu ? "off"; model ? null;
#                  embeddingModel ? null; rerankModel ? null; inference ? { };
#                  embeddings ? { }; monitoring ? null; gpuMetrics ? false; }
#     -> { units.<unit> = { needMiB; memoryHigh; memoryMax; heapMiB; vramMiB; parts; };
#          dependencies; totalMiB; osReserveMiB; availableMiB; fits;
#          vram = { needMiB; availableMiB; fits; gpuLayers; totalLayers; }; describe; knobs; }
#
# A model-loading unit needs
#   runtime (Node + node-llama-cpp, measured) + its JS heap (--max-old-space-size)
#   + the weights that stay in RAM (the file size, minus the offloaded share)
#   + per context: the KV cache (tokens per sequence x sequences x bytes per
#     token at the cache type) and the compute buffers (batch x 4 bytes x
#     (vocabulary + 6 x embedding length)).
# The KV and compute formulas reproduce what llama.cpp allocates (node-llama-cpp
# 3.22's simulation of it, within 3%) for the registry models' shapes; see
# docs/tiers.md. A model unit's MemoryHigh is its need and its MemoryMax 10%
# above. A Node service (ai-aidb, ai-coordinator) needs its tier's
# `memoryMax`, its MemoryMax, with MemoryHigh at 90% and 60% as V8 heap. The
# need of every unit plus PostgreSQL, Redis and monitoring must fit in RAM
# minus a reserve for the OS.
let
  c = builtins.fromJSON (builtins.readFile ./memory.json);
  tiers = builtins.fromJSON (builtins.readFile ./tiers.json);
  modelsLib = import ./models.nix;

  MiBBytes = 1048576;
  min = a: b: if a < b then a else b;
  max = a: b: if a > b then a else b;
  sum = builtins.foldl' (a: b: a + b) 0;
  toMiB = bytes: builtins.ceil (bytes * 1.0 / MiBBytes);
  fmt = n: toString n;

  # "256M" / "1G" -> MiB.
  memoryToMiB =
    s:
    let
      m = builtins.match "([0-9]+)([MG])" s;
    in
    if m == null then
      throw "memoryToMiB: expected <number>M or <number>G, got '${toString s}'"
    else
      let
        n = builtins.fromJSON (builtins.head m);
      in
      if builtins.elemAt m 1 == "G" then n * 1024 else n;

  # Bits per weight of a file type, for an entry whose size_bytes is unknown.
  bitsPerWeight = {
    Q8_0 = 8.5;
    Q6_K = 6.56;
    Q5_K_M = 5.69;
    Q4_K_M = 4.85;
    Q4_0 = 4.55;
    F16 = 16;
    BF16 = 16;
    F32 = 32;
  };

  weightsBytes =
    m:
    if m.size_bytes != null then
      m.size_bytes
    else
      m.parameters_b * 1.0e9 * (bitsPerWeight.${m.quantization} or 16) / 8;

  weightsMiB = m: toMiB (weightsBytes m);

  # Bytes of one KV-cache element: f16, or q8_0 (32 values in 34 bytes).
  kvElementBytes = {
    f16 = 2;
    q8_0 = 1.0625;
  };

  # K and V of every layer for one token. Encoders (causal = false) are
  # counted too: recent llama.cpp keeps no KV cache for them, but
  # node-llama-cpp's estimate (which the service checks its limit with at
  # start) counts one when it cannot simulate the allocation.
  perTokenKvBytes =
    id: kvCacheType:
    let
      a = (modelsLib.modelById id).architecture;
      element = kvElementBytes.${kvCacheType} or (throw "memory budget: unknown kvCacheType '${toString kvCacheType}' (f16 or q8_0)");
    in
    2 * a.layers * a.head_count_kv * a.head_dim * element;

  # node-llama-cpp rounds a context up to a multiple of 256 tokens.
  padUp = n: ((n + c.contextPadding - 1) / c.contextPadding) * c.contextPadding;

  # One context of a model: `contextSize` tokens per sequence (capped at the
  # model's trained context), `sequences` of them (llama.cpp allocates
  # contextSize x sequences cells: measured, see docs/tiers.md). A chat
  # context's compute buffers hold a whole batch's logits (batch x vocabulary);
  # an embedding or ranking context (`embedding = true`) pools instead of
  # producing logits, and evaluates in node-llama-cpp's default batch (the
  # context, at most 512 tokens): its buffers are counted as the batch's
  # activations plus its attention scores against the whole context.
  contextMemory =
    {
      model,
      contextSize,
      sequences ? 1,
      batchSize ? 512,
      kvCacheType ? "f16",
      embedding ? false,
    }:
    let
      m = modelsLib.modelById model;
      a = m.architecture;
      perSequence = padUp (min contextSize m.context_length);
      cells = perSequence * sequences;
      batch = min (if embedding then 512 else batchSize) cells;
      kvBytes = cells * perTokenKvBytes model kvCacheType;
      computeBytes =
        if embedding then
          batch * 4 * (c.computeEmbeddingFactor * a.embedding_length + cells * a.head_count)
        else
          batch * 4 * (a.vocab_size + c.computeEmbeddingFactor * a.embedding_length);
    in
    {
      inherit
        model
        sequences
        cells
        batch
        kvCacheType
        ;
      contextSize = perSequence;
      perTokenKvBytes = perTokenKvBytes model kvCacheType;
      kvMiB = toMiB kvBytes;
      computeMiB = toMiB computeBytes;
    };

  # How a chat model splits between VRAM and RAM with `gpuLayers` of its
  # layers + 1 (the output layer) offloaded; "auto" takes as many as fit the
  # VRAM left after the reserve, as node-llama-cpp's own `gpuLayers: "auto"` does.
  offloadSplit =
    {
      model,
      ctx,
      gpu,
      gpuLayers,
      vramMiB,
    }:
    let
      m = modelsLib.modelById model;
      layers = m.architecture.layers;
      total = layers + 1;
      weights = weightsMiB m;
      # The token embeddings stay in RAM (llama.cpp looks rows up on the CPU);
      # the rest is spread evenly over the layers.
      embeddingShare = min 1.0 (
        m.architecture.vocab_size * m.architecture.embedding_length * 1.0 / (m.parameters_b * 1.0e9)
      );
      onGpu = n: {
        weights = builtins.ceil (weights * (1 - embeddingShare) * n * 1.0 / total);
        kv = builtins.ceil (ctx.kvMiB * (min n layers) * 1.0 / layers);
        compute = if n > 0 then ctx.computeMiB else 0;
      };
      vramFor =
        n:
        let
          g = onGpu n;
        in
        g.weights + g.kv + g.compute;
      usable = if vramMiB == null then 0 else vramMiB - c.vramReserveMiB;
      fitting =
        let
          go = n: if n <= 0 then 0 else if vramFor n <= usable then n else go (n - 1);
        in
        go total;
      n =
        if gpu == "off" then
          0
        else if gpuLayers == "auto" then
          fitting
        else
          min gpuLayers total;
      g = onGpu n;
    in
    {
      gpuLayers = n;
      totalLayers = total;
      vramMiB = if n > 0 then vramFor n + c.vramReserveMiB else 0;
      ram = {
        weights = weights - g.weights;
        kv = ctx.kvMiB - g.kv;
        # The compute buffers stay counted in RAM as well: llama.cpp keeps a
        # CPU buffer and the output's host copy even with every layer offloaded.
        compute = ctx.computeMiB;
      };
    };

  memoryBudget =
    {
      tier,
      systemRamGb,
      vramGb ? null,
      gpu ? "off",
      model ? null,
      embeddingModel ? null,
      rerankModel ? null,
      inference ? { },
      embeddings ? { },
      monitoring ? null,
      gpuMetrics ? false,
      nodeServiceMemory ? null,
    }:
    let
      t = tiers.${tier} or (throw "memoryBudget: unknown tier '${toString tier}'");
      chat = if model != null then model else t.defaultModel;
      inf = t.inference // inference;
      emb = t.embeddings // embeddings;
      kvCacheType = inf.kvCacheType or "f16";
      gpuLayers = inf.gpuLayers or "auto";
      # contextSize "auto": the service picks the largest context its limit
      # allows; the budget reserves the tier's.
      chatContextSize = if inf.contextSize == "auto" then t.inference.contextSize else inf.contextSize;

      chatCtx = contextMemory {
        model = chat;
        contextSize = chatContextSize;
        inherit (inf) sequences batchSize;
        inherit kvCacheType;
      };
      split = offloadSplit {
        model = chat;
        ctx = chatCtx;
        inherit gpu gpuLayers;
        vramMiB = if vramGb == null then null else vramGb * 1024;
      };

      llamaUnit = parts: rec {
        runtimeMiB = c.llamaRuntimeMiB;
        heapMiB = c.llamaHeapMiB;
        needMiB = runtimeMiB + heapMiB + sum (map (p: p.mib) parts);
        inherit parts;
      };

      chatParts = [
        {
          what = "weights of ${chat}${if split.gpuLayers > 0 then " not offloaded" else ""}";
          mib = split.ram.weights;
        }
        {
          what = "KV cache (${fmt chatCtx.contextSize} tokens x ${fmt chatCtx.sequences} sequences x ${fmt chatCtx.perTokenKvBytes} bytes at ${kvCacheType}${if split.gpuLayers > 0 then ", the part in RAM" else ""})";
          mib = split.ram.kv;
        }
        {
          what = "compute buffers (batch ${fmt chatCtx.batch})";
          mib = split.ram.compute;
        }
      ];

      embedCtx =
        if embeddingModel == null then
          null
        else
          contextMemory {
            model = embeddingModel;
            inherit (emb) contextSize;
            embedding = true;
          };
      rerankCtx =
        if rerankModel == null then
          null
        else
          contextMemory {
            model = rerankModel;
            inherit (emb) contextSize;
            embedding = true;
          };
      embedParts =
        (
          if embeddingModel == null then
            [ ]
          else
            [
              {
                what = "weights of ${embeddingModel}";
                mib = weightsMiB (modelsLib.modelById embeddingModel);
              }
              {
                what = "${fmt emb.contexts} embedding context(s) of ${fmt embedCtx.contextSize} tokens (KV ${fmt embedCtx.kvMiB} + compute ${fmt embedCtx.computeMiB} each)";
                mib = emb.contexts * (embedCtx.kvMiB + embedCtx.computeMiB);
              }
            ]
        )
        ++ (
          if rerankModel == null then
            [ ]
          else
            [
              {
                what = "weights of ${rerankModel}";
                mib = weightsMiB (modelsLib.modelById rerankModel);
              }
              {
                what = "ranking context of ${fmt rerankCtx.contextSize} tokens (KV ${fmt rerankCtx.kvMiB} + compute ${fmt rerankCtx.computeMiB})";
                mib = rerankCtx.kvMiB + rerankCtx.computeMiB;
              }
            ]
        );
      # On the smallest tier one llama.cpp process serves chat and embeddings:
      # a second Node + node-llama-cpp runtime does not fit in 2 GB.
      separateEmbeddings = emb.separateUnit;
      inferenceUnit = llamaUnit (chatParts ++ (if separateEmbeddings then [ ] else embedParts));
      embeddingsUnit = if !separateEmbeddings || embedParts == [ ] then null else llamaUnit embedParts;

      nodeMiB = memoryToMiB (if nodeServiceMemory != null then nodeServiceMemory else t.memoryMax);
      # A Node service is capped at the tier's memoryMax (what the soak
      # benchmark shows it stays under), throttled from 90% of it, and its V8
      # heap may take 60% of it.
      nodeUnit = {
        runtimeMiB = 0;
        needMiB = nodeMiB;
        heapMiB = builtins.floor (nodeMiB * c.nodeHeapShare);
        parts = [ ];
        memoryHigh = "${fmt (builtins.floor (nodeMiB * 0.9))}M";
        memoryMax = if nodeServiceMemory != null then nodeServiceMemory else t.memoryMax;
      };

      # A model unit is throttled above its need and capped 10% above it.
      withLimits =
        u:
        {
          memoryHigh = "${fmt u.needMiB}M";
          memoryMax = "${fmt (builtins.ceil (u.needMiB * (1 + c.headroomShare)))}M";
        }
        // u;

      units = builtins.mapAttrs (_: withLimits) (
        {
          ai-inference = inferenceUnit // {
            vramMiB = split.vramMiB;
          };
          ai-aidb = nodeUnit;
          ai-coordinator = nodeUnit;
        }
        // (if embeddingsUnit == null then { } else { ai-embeddings = embeddingsUnit; })
      );

      monitoringOn = if monitoring == null then t.monitoring else monitoring;
      dependencies = {
        postgresql = c.postgresqlMiB;
        redis = memoryToMiB t.redisMaxMemory + c.redisOverheadMiB;
      }
      // (if monitoringOn then { monitoring = c.monitoringMiB; } else { })
      // (if gpuMetrics then { ai-gpu-metrics = c.gpuMetricsMiB; } else { });

      totalMiB = sum (map (u: u.needMiB) (builtins.attrValues units)) + sum (builtins.attrValues dependencies);
      osReserveMiB = c.osReserveMiB + builtins.ceil (c.osReservePerGbMiB * systemRamGb);
      availableMiB = builtins.floor (systemRamGb * 1024) - osReserveMiB;

      vramAvailableMiB = if vramGb == null then 0 else builtins.floor (vramGb * 1024);
      vram = {
        needMiB = split.vramMiB;
        availableMiB = vramAvailableMiB;
        fits = split.vramMiB <= vramAvailableMiB;
        inherit (split) gpuLayers totalLayers;
        reserveMiB = c.vramReserveMiB;
      };

      describeUnit =
        name: u:
        "${name} ${fmt u.needMiB} MiB"
        + (
          if u.parts == [ ] then
            " (the tier's memoryMax for a Node service)"
          else
            " (runtime ${fmt u.runtimeMiB} + JS heap ${fmt u.heapMiB}${
              builtins.concatStringsSep "" (map (p: " + ${p.what} ${fmt p.mib}") u.parts)
            })"
        );
      describe = builtins.concatStringsSep "; " (
        builtins.attrValues (builtins.mapAttrs describeUnit units)
        ++ builtins.attrValues (builtins.mapAttrs (n: v: "${n} ${fmt v} MiB") dependencies)
      );
    in
    {
      inherit
        units
        dependencies
        totalMiB
        osReserveMiB
        availableMiB
        vram
        describe
        ;
      fits = totalMiB <= availableMiB;
      chat = chatCtx // {
        inherit chat;
        weightsMiB = weightsMiB (modelsLib.modelById chat);
      };
      # The settings a message about this budget names.
      knobs = {
        contextSize = chatCtx.contextSize;
        inherit (inf) sequences batchSize;
        inherit kvCacheType;
        model = chat;
        gpuLayers = split.gpuLayers;
      };
    };

  # The chat model for a host: the tier's default when the host's budget
  # fits with it (the tier's settings, models and services); otherwise the
  # largest chat model whose budget fits; otherwise the smallest, and the
  # budget assertion says what to change.
  selectModel =
    {
      tier,
      systemRamGb,
      vramGb ? null,
      gpu ? "off",
    }:
    let
      t = tiers.${tier} or (throw "selectModel: unknown tier '${toString tier}'");
      fits =
        id:
        (memoryBudget {
          inherit
            tier
            systemRamGb
            vramGb
            gpu
            ;
          model = id;
          inherit (t) embeddingModel rerankModel;
        }).fits;
      sorted = builtins.sort (a: b: weightsMiB a < weightsMiB b) modelsLib.chatModels;
      fitting = builtins.filter (m: fits m.id) sorted;
    in
    if fits t.defaultModel then
      t.defaultModel
    else if fitting != [ ] then
      (builtins.elemAt fitting (builtins.length fitting - 1)).id
    else
      (builtins.head sorted).id;
in
{
  inherit
    memoryBudget
    selectModel
    contextMemory
    perTokenKvBytes
    memoryToMiB
    weightsMiB
    ;
  memoryConstants = c;
}
