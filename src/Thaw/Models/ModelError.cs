namespace Thaw.Models;

/// <summary>Why a model could not be located or opened.</summary>
public enum ModelError
{
    /// <summary>No file, folder or cached hub snapshot matches the input.</summary>
    NotFound,

    /// <summary>The input is neither a hub id nor a path, or its revision is malformed.</summary>
    BadHubId,

    /// <summary>The local Hugging Face cache holds something that is not a valid snapshot reference.</summary>
    BadHubCache,

    /// <summary>The folder exists but holds no weight files Thaw recognizes.</summary>
    NotAModel,

    /// <summary>config.json (or a nested config) is not valid JSON or has a value of the wrong type or range.</summary>
    BadConfig,

    /// <summary>A shard index (model.safetensors.index.json, pytorch_model.bin.index.json) is malformed.</summary>
    BadIndex,

    /// <summary>A shard named by the index does not exist.</summary>
    MissingShard,

    /// <summary>A tensor the index places in a shard is not in that shard.</summary>
    MissingTensor,

    /// <summary>The same tensor name occurs in two files of one model.</summary>
    DuplicateTensor,

    /// <summary>The file is in a format Thaw cannot read (yet).</summary>
    UnsupportedFormat,
}
