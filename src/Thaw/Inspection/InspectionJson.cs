using System.Text.Json;
using System.Text.Json.Serialization;

namespace Thaw.Inspection;

/// <summary>Source-generated JSON for the inspect report: snake_case, indented, nulls kept so keys are stable.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(InspectionReport))]
public sealed partial class InspectionJson : JsonSerializerContext
{
    /// <summary>The report as the <c>--json</c> output prints it.</summary>
    public static string Serialize(InspectionReport report) => JsonSerializer.Serialize(report, Default.InspectionReport);
}
