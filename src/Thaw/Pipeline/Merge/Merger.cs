using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Thaw.Lora;
using Thaw.Lora.Merge;
using Thaw.Models;
using Thaw.Pipeline.Dequantization;
using Thaw.Pipeline.HfFolder;
using Thaw.Pipeline.Producers;
using Thaw.Tensors;

namespace Thaw.Pipeline.Merge;

/// <summary>
/// <c>thaw merge</c>: plans writing the base with its adapters merged in (spec/peft-lora.md §3, §10). Each adapter is
/// checked as <c>thaw doctor</c> checks it and any error refuses the merge. Per tensor: the base values (a quantized
/// weight dequantized, or with <c>--into original</c> the original's 16-bit weight), replaced by the adapter's full
/// tensor when it carries one, then every LoRA delta (s · weight · B·A), DoRA rescale, lora_bias and trained token
/// row, in float32, rounded once to the output dtype. Untouched tensors are copied as <c>thaw dequantize</c> writes them.
/// </summary>
public static class Merger
{
    /// <summary>Checks the adapters and decides every tensor's source and steps; nothing is read beyond the adapters.</summary>
    /// <exception cref="LoraException">An adapter would not apply cleanly, or the options do not fit the inputs.</exception>
    public static MergedModel Merge(MergeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Adapters.Count == 0)
            throw new ArgumentException("a merge needs at least one adapter", nameof(request));
        var diagnoses = request.Adapters.Select(a => Check(request, a)).ToList();
        var target = request.Original ?? request.Base;
        if (request.Original is { } original)
            CheckOriginal(request.Base, original, request.OriginalName ?? original.Location.Path);
        var builder = new Builder(target);
        foreach (var adapter in request.Adapters)
            builder.AddReplacements(adapter);
        foreach (var adapter in request.Adapters)
            builder.AddModules(adapter);
        foreach (var adapter in request.Adapters)
            builder.AddTrainableTokens(adapter);

        var targetName = request.Original is not null
            ? $"the original 16-bit weights of {request.OriginalName}"
            : request.Base.Quantization is not null ? "the dequantized weights of the quantized base (what training saw)" : "the base weights";
        var inputs = new List<string>();
        foreach (var model in new[] { request.Base, request.Original }.OfType<HfModel>())
            inputs.AddRange(model.InputPaths);
        inputs.AddRange(request.Adapters.Select(a => a.Adapter.Folder));
        var tensors = builder.Entries.Select(e => new MergedTensor(e.Name, e.Shape, e.Base, e.Replacement, [.. e.Steps, .. e.TokenSteps])).ToList();
        return new MergedModel(target, targetName, tensors, diagnoses, builder.Notes, builder.ConfigFields(), inputs, TokenizerFolders(request));
    }

    /// <summary>Plans writing the merged model as a safetensors folder.</summary>
    /// <exception cref="LoraException">An adapter would not apply cleanly, or the options do not fit the inputs.</exception>
    /// <exception cref="ThawException">A tensor cannot be read, or the plan cannot run.</exception>
    public static MergePlan Plan(MergeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var merged = Merge(request);
        var dtype = Dequantizer.OutputDType(merged.Target, request.DType);
        var castAll = request.DType is not null;
        var tensors = StateDictOrder.Sort(merged.Tensors, t => t.Name).Select(t => Output(t, dtype, castAll)).ToList();
        var companions = new List<CompanionFile>();
        if (merged.Target.Config is { } config)
            companions.Add(CompanionFile.FromBytes(HfModel.ConfigFileName, ConfigRewriter.Rewrite(config, dtype, merged.ConfigFields)));
        companions.AddRange(TokenizerAndProcessorFiles(merged.TokenizerFolders));
        companions.Add(CompanionFile.FromBytes(ModelCard.FileName, ModelCard.ForMerge(request, dtype, merged.TargetDescription, merged.Notes)));
        var pipeline = PipelinePlan.Create(request.OutputPath, tensors, companions, merged.Inputs, request.Options);
        return new MergePlan(pipeline, dtype, merged.TargetDescription, merged.Diagnoses, merged.Tensors.Count(t => t.IsChanged), merged.Notes);
    }

    // A merged tensor as a safetensors folder holds it: untouched tensors as dequantize writes them.
    private static OutputTensor Output(MergedTensor tensor, DType modelDType, bool castAll)
    {
        if (!tensor.IsChanged)
            return Dequantizer.Output(tensor.Base!, modelDType, castAll);
        // Without --dtype a plain tensor keeps its own float dtype, as PEFT keeps each module's dtype.
        var dtype = !castAll && (tensor.Base ?? tensor.Replacement) is PlainTensor { DType: DType.F32 or DType.F16 or DType.BF16 } plain ? plain.DType : modelDType;
        var values = tensor.Values();
        if (values is MergedRowSource merged)
        {
            var description = string.Join(" ", merged.Steps.Select(s => s.Description).Prepend(tensor.SourceDescription)) + $" → {DTypes.SafetensorsName(dtype)}";
            return new OutputTensor(tensor.Name, dtype, tensor.Shape, new CastProducer(merged, dtype, description, row => merged.ThrowNonFinite(dtype, row)));
        }
        return new OutputTensor(tensor.Name, dtype, tensor.Shape, new CastProducer(values, dtype, $"{tensor.SourceDescription} → {DTypes.SafetensorsName(dtype)}"));
    }

    private static AdapterDiagnosis Check(MergeRequest request, MergeAdapter merge)
    {
        var adapter = merge.Adapter;
        if (!double.IsFinite(merge.Weight))
            Refuse(LoraError.BadMergeRequest, adapter.Folder, $"weight {merge.Weight} is not a finite number");
        if (merge.Weight != 1 && adapter.Modules.Any(m => m.Magnitude is not null))
            Refuse(LoraError.BadMergeRequest, adapter.Folder,
                $"weight {merge.Weight.ToString(CultureInfo.InvariantCulture)} on a DoRA adapter: DoRA renormalizes each row to its trained magnitude, so a weight has no meaning there; merge it with weight 1");
        var diagnosis = AdapterDiagnosis.Diagnose(adapter, request.Base, request.BaseName, baseNorms: false);
        diagnosis.ThrowIfErrors(adapter.Folder, "nothing was merged");
        return diagnosis;
    }

    private static void CheckOriginal(HfModel quantized, HfModel original, string originalName)
    {
        if (quantized.Quantization is null)
            Refuse(LoraError.BadMergeRequest, quantized.Location.Path, "--into original is for a quantized base; this base is already unquantized, so merge into it directly");
        if (original.Quantization is not null)
            Refuse(LoraError.BadMergeRequest, original.Location.Path, "--original must be the unquantized (16/32-bit) model the quantized base was made from, but it is quantized too");
        foreach (var tensor in quantized.Tensors)
        {
            if (!original.TryGetTensor(tensor.Name, out var match) || !match.Shape.SequenceEqual(tensor.Shape))
                Refuse(LoraError.BadMergeRequest, original.Location.Path,
                    $"tensor '{tensor.Name}' {tensor.ShapeText} of the quantized base is {(match is null ? "missing" : $"{match.ShapeText}")} in {originalName}; --original must be the model the base was quantized from");
        }
    }

    // The base's folder (for tokenizer, generation and processor files), then adapter folders that carry their own
    // tokenizer (saved when training added tokens), whose tokenizer files win.
    private static IReadOnlyList<string> TokenizerFolders(MergeRequest request)
    {
        var folders = new List<string>();
        var source = request.Original ?? request.Base;
        if (source.Location.Kind == ModelLocationKind.Folder)
            folders.Add(source.Location.Path);
        folders.AddRange(request.Adapters.Select(a => a.Adapter.Folder)
            .Where(f => Directory.Exists(f) && CopiedFiles.In(f).Any(c => c.Name.StartsWith("tokenizer", StringComparison.Ordinal))));
        return folders;
    }

    private static IEnumerable<CompanionFile> TokenizerAndProcessorFiles(IReadOnlyList<string> folders)
    {
        var files = new Dictionary<string, CompanionFile>(StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            foreach (var file in CopiedFiles.In(folder).Where(f => f.Name != "generation_config.json" || folder == folders[0]))
                files[file.Name] = file;
        }
        return files.Values.OrderBy(f => f.Name, StringComparer.Ordinal);
    }

    private static void Refuse(LoraError reason, string path, string detail) => throw new LoraException(reason, path, null, detail);

    /// <summary>Collects, per output tensor, its source and its merge steps.</summary>
    private sealed class Builder
    {
        private readonly HfModel target;
        private readonly Dictionary<string, Entry> byName = new(StringComparer.Ordinal);
        private readonly List<string> notes = [];
        private bool untied;
        private long? vocabRows;

        public Builder(HfModel target)
        {
            this.target = target;
            foreach (var tensor in target.Tensors)
                Add(new Entry(tensor.Name, tensor));
        }

        public List<Entry> Entries { get; } = [];

        public IReadOnlyList<string> Notes => notes;

        private void Add(Entry entry)
        {
            byName.Add(entry.Name, entry);
            Entries.Add(entry);
        }

        public void AddReplacements(MergeAdapter merge)
        {
            foreach (var replacement in merge.Adapter.Replacements)
            {
                var stored = merge.Adapter.Stored(replacement.Tensor);
                var match = Find(replacement.TargetTensor);
                Entry entry;
                if (match is null)
                {
                    entry = new Entry(replacement.TargetTensor, null);
                    Add(entry);
                    notes.Add($"{merge.Label} adds tensor '{replacement.TargetTensor}' {replacement.Tensor.ShapeText} (modules_to_save) that the base lacks");
                }
                else if (match.ViaTiedEmbedding && target.TiedEmbedding is { } tied)
                {
                    // A trained lm_head copy: the output gets its own lm_head and stops tying it to the embedding.
                    entry = new Entry(tied.LmHead, null);
                    Add(entry);
                    untied = true;
                    notes.Add($"{merge.Label} carries its own '{tied.LmHead}', so it is written untied from '{tied.Embedding}' and tie_word_embeddings is set to false");
                }
                else
                {
                    entry = byName[match.Tensor.Name];
                    notes.Add($"{merge.Label} replaces '{entry.Name}' with its trained copy {replacement.Tensor.ShapeText} (modules_to_save / saved embedding)");
                }
                if (entry.Replacement is not null)
                    Refuse(LoraError.BadMergeRequest, merge.Adapter.Folder, $"two adapters replace '{entry.Name}'; merge them one at a time so it is clear which copy wins");
                entry.Replacement = new PlainTensor(stored);
                if (IsEmbeddingOrHead(entry.Name) && entry.Base is not null && entry.Base.Shape[0] != stored.Info.Shape[0])
                {
                    vocabRows = stored.Info.Shape[0];
                    notes.Add($"vocabulary resized: '{entry.Name}' has {stored.Info.Shape[0]} rows (base {entry.Base.Shape[0]}); vocab_size is set to {stored.Info.Shape[0]}");
                }
            }
        }

        public void AddModules(MergeAdapter merge)
        {
            var tiedNoted = false;
            foreach (var module in merge.Adapter.Modules)
            {
                var entry = Resolve(module.Path + ".weight", out var viaTie)!;
                if (viaTie && !tiedNoted)
                {
                    notes.Add($"{merge.Label}: the lm_head delta is merged into the embedding '{entry.Name}' it is tied to (as PEFT does), so it changes the input embedding too");
                    tiedNoted = true;
                }
                var isConv1D = target.Architecture?.IsConv1DWeight(entry.Name) == true;
                var layout = ModuleSteps.LayoutOf(module, entry.Shape, isConv1D);
                entry.Steps.AddRange(ModuleSteps.For(merge.Adapter, module, layout, merge.Weight, merge.Label));
                if (ModuleSteps.BiasStep(merge.Adapter, module, merge.Weight) is { } bias)
                    Resolve(module.Path + ".bias", out _)!.Steps.Add(bias);
            }
        }

        public void AddTrainableTokens(MergeAdapter merge)
        {
            foreach (var tokens in merge.Adapter.TrainableTokens)
            {
                var path = merge.Adapter.Config.Path;
                var indices = TokenIndices(merge.Adapter.Config, tokens.Module)
                    ?? throw new LoraException(LoraError.BadConfig, path, tokens.Tensor.Name,
                        $"the adapter has trained token rows for '{tokens.Module}' but trainable_token_indices names no ids for it");
                var entry = Resolve(tokens.Module + ".weight", out _)
                    ?? throw new LoraException(LoraError.MergeRefused, path, tokens.Tensor.Name, $"no base embedding '{tokens.Module}.weight' for the trained token rows");
                var rowLength = entry.Shape.Length == 2 ? entry.Shape[1] : -1;
                if (tokens.Tensor.Shape.Length != 2 || tokens.Tensor.Shape[0] != indices.Count || tokens.Tensor.Shape[1] != rowLength)
                    throw new LoraException(LoraError.BadShape, path, tokens.Tensor.Name,
                        $"trained token rows {tokens.Tensor.ShapeText} do not fit {indices.Count} ids of the embedding {entry.ShapeText}");
                if (indices.Where(i => i >= entry.Shape[0]).ToList() is [var outside, ..])
                    throw new LoraException(LoraError.BadConfig, path, tokens.Tensor.Name, $"token id {outside} is outside the embedding's {entry.Shape[0]} rows");
                entry.TokenSteps.Add(new RowOverwriteStep(tokens.Module, indices, merge.Adapter.ReadValues(tokens.Tensor), (int)rowLength));
            }
        }

        public IReadOnlyList<KeyValuePair<string, JsonNode>> ConfigFields()
        {
            var fields = new List<KeyValuePair<string, JsonNode>>();
            if (vocabRows is { } rows)
                fields.Add(new("vocab_size", JsonValue.Create(rows)));
            if (untied)
                fields.Add(new("tie_word_embeddings", JsonValue.Create(false)));
            return fields;
        }

        private static IReadOnlyList<long>? TokenIndices(AdapterConfig config, string module)
        {
            if (config.TrainableTokenIndices is not { } indices)
                return null;
            foreach (var (name, ids) in indices)
            {
                if (name.Length > 0 && (module == name || module.EndsWith("." + name, StringComparison.Ordinal)))
                    return ids;
            }
            return indices.TryGetValue("", out var list) ? list : null;
        }

        private BaseTensorMatch? Find(string name) =>
            byName.TryGetValue(name, out var exact) && exact.Base is { } tensor ? new BaseTensorMatch(tensor, false) : BaseTensorMatch.Find(target, name);

        // The entry a module's tensor lands in: an added tensor, the base tensor, or the embedding a tied lm_head shares.
        private Entry? Resolve(string name, out bool viaTie)
        {
            viaTie = false;
            if (byName.TryGetValue(name, out var direct))
                return direct;
            if (BaseTensorMatch.Find(target, name) is not { } match)
                return null;
            if (match.ViaTiedEmbedding && untied && target.TiedEmbedding is { } tied)
                return byName[tied.LmHead];
            viaTie = match.ViaTiedEmbedding;
            return byName[match.Tensor.Name];
        }

        private bool IsEmbeddingOrHead(string name)
        {
            var layouts = target.Architecture?.EmbeddingLayouts ?? [Architectures.DecoderLayout];
            return layouts.Any(l => l.Embedding == name || l.LmHead == name);
        }

        public sealed class Entry(string name, ModelTensor? baseTensor)
        {
            public string Name { get; } = name;

            public ModelTensor? Base { get; } = baseTensor;

            public PlainTensor? Replacement { get; set; }

            public List<MergeStep> Steps { get; } = [];

            public List<MergeStep> TokenSteps { get; } = [];

            public ImmutableArray<long> Shape => Replacement?.Shape ?? Base!.Shape;

            public string ShapeText => "[" + string.Join(", ", Shape) + "]";
        }
    }
}
