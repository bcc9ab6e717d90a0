using System.Text.Json;
using System.Xml.Linq;

namespace Sillon.Tests.Subsonic;

/// <summary>
/// Checks that an XML answer says exactly what its JSON twin says, in Subsonic's XML conventions:
/// scalars as attributes, objects as one child element, arrays as repeated elements, "value" as the
/// element's text. The JSON is validated against the OpenSubsonic schemas, so an XML answer that
/// matches it has the schema's shape too.
/// </summary>
public static class XmlMatchesJson
{
    public static List<string> Differences(JsonElement json, XElement xml)
    {
        var differences = new List<string>();
        Compare(json, xml, xml.Name.LocalName, differences);
        return differences;
    }

    private static void Compare(JsonElement obj, XElement el, string path, List<string> differences)
    {
        var seen = new HashSet<string>();
        var ns = el.Name.Namespace;
        foreach (var p in obj.EnumerateObject())
        {
            var at = $"{path}/{p.Name}";
            switch (p.Value.ValueKind)
            {
                case JsonValueKind.Object:
                    var children = el.Elements(ns + p.Name).ToList();
                    if (children.Count != 1) differences.Add($"{at}: {children.Count} elements for an object");
                    else Compare(p.Value, children[0], at, differences);
                    break;
                case JsonValueKind.Array:
                    var items = el.Elements(ns + p.Name).ToList();
                    var values = p.Value.EnumerateArray().ToList();
                    if (items.Count != values.Count) { differences.Add($"{at}: {items.Count} elements for {values.Count} array items"); break; }
                    for (var i = 0; i < values.Count; i++)
                    {
                        if (values[i].ValueKind == JsonValueKind.Object) Compare(values[i], items[i], $"{at}[{i}]", differences);
                        else if (items[i].Value != Text(values[i])) differences.Add($"{at}[{i}]: '{items[i].Value}' in XML, '{Text(values[i])}' in JSON");
                    }
                    break;
                default:
                    if (p.Name == "value" && el.Attribute("value") is null)
                    {
                        if (el.Value != Text(p.Value)) differences.Add($"{at}: text '{el.Value}' in XML, '{Text(p.Value)}' in JSON");
                        break;
                    }
                    seen.Add(p.Name);
                    var attribute = el.Attribute(p.Name)?.Value;
                    if (attribute != Text(p.Value)) differences.Add($"{at}: '{attribute}' in XML, '{Text(p.Value)}' in JSON");
                    break;
            }
        }
        foreach (var extra in el.Attributes().Where(a => !a.IsNamespaceDeclaration && !seen.Contains(a.Name.LocalName)))
            differences.Add($"{path}/@{extra.Name.LocalName}: only in XML");
        var jsonNames = obj.EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var extra in el.Elements().Where(e => !jsonNames.Contains(e.Name.LocalName)))
            differences.Add($"{path}/{extra.Name.LocalName}: element only in XML");
    }

    private static string Text(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => v.GetRawText(),
    };
}
