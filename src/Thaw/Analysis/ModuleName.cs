using System.Globalization;

namespace Thaw.Analysis;

/// <summary>
/// A module's place in the model: the stack it belongs to ("model.layers", "visual.blocks"), its depth in that stack
/// and its type within a block ("mlp.down_proj"). Modules of one stack and type are compared across depth.
/// </summary>
/// <param name="Module">The full module name.</param>
/// <param name="Stack">What comes before the first numeric segment, or the whole name when there is none.</param>
/// <param name="Layer">The first numeric segment, or null.</param>
/// <param name="Type">What follows the layer number ("" when there is none).</param>
public sealed record ModuleName(string Module, string Stack, int? Layer, string Type)
{
    /// <summary>"model.layers.*.mlp.down_proj": the key modules are grouped by across depth.</summary>
    public string Group => Layer is null ? Module : $"{Stack}.*.{Type}";

    public static ModuleName Parse(string module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var segments = module.Split('.');
        for (var i = 0; i < segments.Length; i++)
        {
            if (segments[i].Length > 0 && segments[i].All(char.IsAsciiDigit)
                && int.TryParse(segments[i], NumberStyles.None, CultureInfo.InvariantCulture, out var layer))
            {
                return new ModuleName(module, string.Join('.', segments[..i]), layer, string.Join('.', segments[(i + 1)..]));
            }
        }
        return new ModuleName(module, module, null, "");
    }
}
