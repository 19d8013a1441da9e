namespace Thaw.Tests.Torch;

/// <summary>A tensor as a hand-built pickle describes it (torch/_utils.py's rebuild argument order).</summary>
internal sealed record TensorSpec(
    string StorageClass, string Key, long Numel, long Offset, long[] Size, long[] Stride, string? V3DType = null, string StorageModule = "torch");

/// <summary>
/// Hand-built pickles and archives in the layout torch.save writes (torch/serialization.py `_save`): a dict
/// of name to `_rebuild_tensor_v2/_v3` calls whose storages are persistent ids, and `data/&lt;key&gt;` records.
/// </summary>
internal static class TorchPickles
{
    public static PickleBuilder Tensor(this PickleBuilder b, TensorSpec t)
    {
        b.Global("torch._utils", t.V3DType is null ? "_rebuild_tensor_v2" : "_rebuild_tensor_v3").Mark();
        b.Mark().Str("storage").Global(t.StorageModule, t.StorageClass).Str(t.Key).Str("cpu").Int(t.Numel).Tuple().Op('Q');
        b.Int(t.Offset).IntTuple(t.Size).IntTuple(t.Stride).False();
        b.Global("collections", "OrderedDict").EmptyTuple().Reduce();
        if (t.V3DType is not null)
            b.Global("torch", t.V3DType);
        return b.Tuple().Reduce();
    }

    /// <summary>{name: tensor, ...} as a plain dict.</summary>
    public static byte[] StateDict(params (string Name, TensorSpec Tensor)[] tensors)
    {
        var b = new PickleBuilder().Proto().EmptyDict().Mark();
        foreach (var (name, tensor) in tensors)
            b.Str(name).Tensor(tensor);
        return b.SetItems().Stop().ToArray();
    }

    /// <summary>A zip laid out like torch's: folder/data.pkl, folder/data/&lt;key&gt; records, folder/version.</summary>
    public static byte[] Archive(byte[] pickle, params (string Key, byte[] Data)[] storages) =>
        TestZip.Build(
        [
            new ZipRecord("archive/data.pkl", pickle),
            .. storages.Select(s => new ZipRecord($"archive/data/{s.Key}", s.Data)),
            new ZipRecord("archive/version", "3\n"u8.ToArray()),
        ]);

    /// <summary>A one-tensor f32 state dict {"w": ...} over storage "0" of <paramref name="storageBytes"/> bytes.</summary>
    public static byte[] SingleF32(long numel, long offset, long[] size, long[] stride, int storageBytes) =>
        Archive(StateDict(("w", new TensorSpec("FloatStorage", "0", numel, offset, size, stride))), ("0", new byte[storageBytes]));
}
