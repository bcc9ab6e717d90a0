using System.Buffers;
using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Sillon.Subsonic;

/// <summary>The property is the element's text in XML and "value" in JSON (genre names, lyrics lines).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TextValueAttribute : Attribute;

/// <summary>The property's own fields are written into the parent element (a now-playing entry is a song plus who plays it).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class InlineAttribute : Attribute;

/// <summary>
/// Writes Subsonic responses in XML and JSON from the same response records, the way Subsonic
/// clients expect: in XML scalars are attributes, nested records are child elements and lists are
/// repeated elements; in JSON the same names hold values, objects and arrays. Null means "absent"
/// in both; an empty list is [] in JSON and nothing in XML.
/// </summary>
public static class SubsonicWriter
{
    public const string ApiVersion = "1.16.1";
    private const string Namespace = "http://subsonic.org/restapi";

    private enum Kind { Scalar, Text, ScalarList, Object, ObjectList, Inline }
    // JsonName: the name as JSON writes it, escaped and encoded once (WritePropertyName(string)
    // escaped and transcoded it for every field of every row).
    private sealed record Field(string Name, JsonEncodedText JsonName, Func<object, object?> Get, Kind Kind);
    private static readonly ConcurrentDictionary<Type, Field[]> Fields = new();

    public static string Xml(SubsonicResponse response)
    {
        var sb = new StringBuilder(1024);
        sb.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        sb.Append("<subsonic-response xmlns=\"").Append(Namespace).Append('"');
        foreach (var (name, value) in Envelope(response)) Attribute(sb, name, value);
        if (response.Error is null && response.Payload is null) return sb.Append("/>").ToString();
        sb.Append('>');
        if (response.Error is { } error) Element(sb, "error", error);
        else if (response.Payload is IList list) foreach (var item in list) Element(sb, response.PayloadName!, item!);
        else Element(sb, response.PayloadName!, response.Payload!);
        return sb.Append("</subsonic-response>").ToString();
    }

    // Names in any script stay as they are (a Korean title is 3 bytes a character, not 6 of \uXXXX),
    // while the characters that matter inside HTML (<, >, &, quotes) are still escaped.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };

    public static byte[] Json(SubsonicResponse response)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, JsonOptions))
        {
            w.WriteStartObject();
            w.WriteStartObject("subsonic-response");
            foreach (var (name, value) in Envelope(response)) { w.WritePropertyName(name); JsonScalar(w, value); }
            if (response.Error is { } error) { w.WritePropertyName("error"); JsonObject(w, error); }
            else if (response.Payload is not null) { w.WritePropertyName(response.PayloadName!); JsonValue(w, response.Payload); }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One record exactly as <see cref="Xml"/> writes it inside a response, as the element <paramref name="name"/>.</summary>
    public static string XmlElement(string name, object value)
    {
        var sb = new StringBuilder(256);
        Element(sb, name, value);
        return sb.ToString();
    }

    /// <summary>One record exactly as <see cref="Json"/> writes it inside a response: an object.</summary>
    public static byte[] JsonElement(object value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, JsonOptions)) JsonObject(w, value);
        return buffer.WrittenSpan.ToArray();
    }

    private static IEnumerable<(string, object)> Envelope(SubsonicResponse r) =>
    [
        ("status", r.Error is null ? "ok" : "failed"), ("version", ApiVersion), ("type", "sillon"),
        ("serverVersion", SillonApp.Version), ("openSubsonic", true),
    ];

    private static Field[] FieldsOf(Type type) => Fields.GetOrAdd(type, t => t
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
        .Select(NewField)
        .ToArray());

    private static Field NewField(PropertyInfo p)
    {
        var name = char.ToLowerInvariant(p.Name[0]) + p.Name[1..];
        var kind = KindOf(p);
        return new Field(name, JsonEncodedText.Encode(kind == Kind.Text ? "value" : name, JsonOptions.Encoder), Getter(p), kind);
    }

    // A compiled (object o) => (object)((T)o).Property: a tenth of the cost of PropertyInfo.GetValue,
    // which matters when a search page writes 500 songs of 50 fields each.
    private static Func<object, object?> Getter(PropertyInfo p)
    {
        var o = System.Linq.Expressions.Expression.Parameter(typeof(object), "o");
        var body = System.Linq.Expressions.Expression.Convert(
            System.Linq.Expressions.Expression.Property(System.Linq.Expressions.Expression.Convert(o, p.DeclaringType!), p), typeof(object));
        return System.Linq.Expressions.Expression.Lambda<Func<object, object?>>(body, o).Compile();
    }

    private static Kind KindOf(PropertyInfo p)
    {
        if (p.GetCustomAttribute<TextValueAttribute>() is not null) return Kind.Text;
        if (p.GetCustomAttribute<InlineAttribute>() is not null) return Kind.Inline;
        var type = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
        if (IsScalar(type)) return Kind.Scalar;
        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var item = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            return IsScalar(Nullable.GetUnderlyingType(item) ?? item) ? Kind.ScalarList : Kind.ObjectList;
        }
        return Kind.Object;
    }

    private static bool IsScalar(Type t) => t.IsPrimitive || t == typeof(string) || t == typeof(decimal) || t == typeof(DateTimeOffset);

    // ------------------------------------------------------------------ XML

    private static void Element(StringBuilder sb, string name, object value)
    {
        sb.Append('<').Append(name);
        if (IsScalar(value.GetType()))
        {
            sb.Append('>');
            Escape(sb, Text(value));
            sb.Append("</").Append(name).Append('>');
            return;
        }
        string? text = null;
        Attributes(sb, value, ref text);
        var children = new StringBuilder();
        Children(children, value);
        if (text is null && children.Length == 0) { sb.Append("/>"); return; }
        sb.Append('>');
        if (text is not null) Escape(sb, text);
        sb.Append(children).Append("</").Append(name).Append('>');
    }

    private static void Attributes(StringBuilder sb, object value, ref string? text)
    {
        foreach (var f in FieldsOf(value.GetType()))
        {
            var v = f.Get(value);
            if (v is null) continue;
            if (f.Kind == Kind.Scalar) Attribute(sb, f.Name, v);
            else if (f.Kind == Kind.Text) text = Text(v);
            else if (f.Kind == Kind.Inline) Attributes(sb, v, ref text);
        }
    }

    private static void Children(StringBuilder sb, object value)
    {
        foreach (var f in FieldsOf(value.GetType()))
        {
            var v = f.Get(value);
            if (v is null) continue;
            switch (f.Kind)
            {
                case Kind.Object: Element(sb, f.Name, v); break;
                case Kind.ObjectList or Kind.ScalarList: foreach (var item in (IEnumerable)v) if (item is not null) Element(sb, f.Name, item); break;
                case Kind.Inline: Children(sb, v); break;
            }
        }
    }

    private static void Attribute(StringBuilder sb, string name, object value)
    {
        sb.Append(' ').Append(name).Append("=\"");
        Escape(sb, Text(value));
        sb.Append('"');
    }

    private static string Text(object value) => value switch
    {
        bool b => b ? "true" : "false",
        DateTimeOffset d => Iso(d),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    public static string Iso(DateTimeOffset d) => d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Escapes for attributes and text alike, and drops characters XML 1.0 cannot carry (control bytes in tags).</summary>
    private static void Escape(StringBuilder sb, string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '&': sb.Append("&amp;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&apos;"); break;
                case '\n': sb.Append("&#xA;"); break;
                case '\r': sb.Append("&#xD;"); break;
                case '\t': sb.Append("&#x9;"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { sb.Append(c).Append(s[++i]); }
                    else if (c >= 0x20 && !char.IsSurrogate(c) && c != '\uFFFE' && c != '\uFFFF') sb.Append(c);
                    break;
            }
        }
    }

    // ------------------------------------------------------------------ JSON

    private static void JsonValue(Utf8JsonWriter w, object value)
    {
        if (IsScalar(value.GetType())) JsonScalar(w, value);
        else if (value is IEnumerable list)
        {
            w.WriteStartArray();
            foreach (var item in list) if (item is not null) JsonValue(w, item);
            w.WriteEndArray();
        }
        else JsonObject(w, value);
    }

    private static void JsonObject(Utf8JsonWriter w, object value)
    {
        w.WriteStartObject();
        JsonFields(w, value);
        w.WriteEndObject();
    }

    private static void JsonFields(Utf8JsonWriter w, object value)
    {
        foreach (var f in FieldsOf(value.GetType()))
        {
            var v = f.Get(value);
            if (v is null) continue;
            if (f.Kind == Kind.Inline) { JsonFields(w, v); continue; }
            w.WritePropertyName(f.JsonName);
            if (f.Kind == Kind.Scalar) JsonScalar(w, v);
            else JsonValue(w, v);
        }
    }

    private static void JsonScalar(Utf8JsonWriter w, object value)
    {
        switch (value)
        {
            case bool b: w.WriteBooleanValue(b); break;
            case int i: w.WriteNumberValue(i); break;
            case long l: w.WriteNumberValue(l); break;
            case double d: w.WriteNumberValue(double.IsFinite(d) ? d : 0); break;
            case float f: w.WriteNumberValue(float.IsFinite(f) ? f : 0); break;
            case DateTimeOffset d: w.WriteStringValue(Iso(d)); break;
            default: w.WriteStringValue(value.ToString()); break;
        }
    }
}
