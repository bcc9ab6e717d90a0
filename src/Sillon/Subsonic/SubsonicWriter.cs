using System.Buffers;
using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Linq.Expressions;
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
    // escaped and transcoded it for every field of every row). Json and XmlAttribute: for a scalar
    // of a type below, the whole field (name and value, nothing when null) written by one compiled
    // method that reads the property as its own type: no boxing, no type test per value (a page of
    // 50 albums writes about 700 scalars).
    private sealed record Field(string Name, JsonEncodedText JsonName, Func<object, object?> Get, Kind Kind,
        Action<Utf8JsonWriter, object>? Json, Action<StringBuilder, object>? XmlAttribute);
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

    // One buffer per thread for the answer being written, copied out once at the end: a page grew a
    // fresh buffer by doubling from 1 KB (with the boxing, 128 KB allocated for a 50-album page;
    // 35 KB now, bench/SubsonicWrite). Json runs to the end without awaiting, so no other answer
    // shares the thread's buffer meanwhile; one grown past KeptBufferBytes (a getArtists answer) is
    // left to the GC rather than held by the thread.
    [ThreadStatic] private static ArrayBufferWriter<byte>? _jsonBuffer;
    private const int KeptBufferBytes = 512 * 1024;

    public static byte[] Json(SubsonicResponse response)
    {
        var buffer = _jsonBuffer ?? new ArrayBufferWriter<byte>(64 * 1024);
        _jsonBuffer = null;
        buffer.ResetWrittenCount();
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
        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity <= KeptBufferBytes) _jsonBuffer = buffer;
        return bytes;
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
        var jsonName = JsonEncodedText.Encode(kind == Kind.Text ? "value" : name, JsonOptions.Encoder);
        var typed = kind == Kind.Scalar && ScalarWriter(typeof(Utf8JsonWriter), p) is not null && ScalarWriter(typeof(StringBuilder), p) is not null;
        // A typed field is never read through Get: its delegate is left uncompiled.
        return new Field(name, jsonName, typed ? p.GetValue : Getter(p), kind,
            typed ? TypedJson(p, jsonName) : null,
            typed ? TypedXmlAttribute(p, " " + name + "=\"") : null);
    }

    // The overload of WriteScalar for the property's type (its underlying type when nullable), or null.
    private static MethodInfo? ScalarWriter(Type writer, PropertyInfo p) =>
        typeof(SubsonicWriter).GetMethod(nameof(WriteScalar), BindingFlags.NonPublic | BindingFlags.Static,
            [writer, Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType]);

    // (w, o) => { var v = ((T)o).P; if (v is not null) { w.WritePropertyName(name); WriteScalar(w, v); } }
    private static Action<Utf8JsonWriter, object> TypedJson(PropertyInfo p, JsonEncodedText jsonName) =>
        CompileIfPresent<Utf8JsonWriter>(p, (w, v) => Expression.Block(
            Expression.Call(w, typeof(Utf8JsonWriter).GetMethod(nameof(Utf8JsonWriter.WritePropertyName), [typeof(JsonEncodedText)])!, Expression.Constant(jsonName)),
            Expression.Call(ScalarWriter(typeof(Utf8JsonWriter), p)!, w, v)));

    // (sb, o) => { var v = ((T)o).P; if (v is not null) { sb.Append(" name=\""); WriteScalar(sb, v); sb.Append('"'); } }
    private static Action<StringBuilder, object> TypedXmlAttribute(PropertyInfo p, string opening) =>
        CompileIfPresent<StringBuilder>(p, (sb, v) => Expression.Block(
            Expression.Call(sb, typeof(StringBuilder).GetMethod(nameof(StringBuilder.Append), [typeof(string)])!, Expression.Constant(opening)),
            Expression.Call(ScalarWriter(typeof(StringBuilder), p)!, sb, v),
            Expression.Call(sb, typeof(StringBuilder).GetMethod(nameof(StringBuilder.Append), [typeof(char)])!, Expression.Constant('"'))));

    private static Action<TWriter, object> CompileIfPresent<TWriter>(PropertyInfo p, Func<Expression, Expression, Expression> write)
    {
        var writer = Expression.Parameter(typeof(TWriter), "w");
        var o = Expression.Parameter(typeof(object), "o");
        var v = Expression.Variable(p.PropertyType, "v");
        var isNullable = Nullable.GetUnderlyingType(p.PropertyType) is not null;
        Expression present = isNullable ? Expression.Property(v, "HasValue")
            : p.PropertyType.IsValueType ? Expression.Constant(true)
            : Expression.NotEqual(v, Expression.Constant(null, p.PropertyType));
        var body = Expression.Block([v],
            Expression.Assign(v, Expression.Property(Expression.Convert(o, p.DeclaringType!), p)),
            Expression.IfThen(present, write(writer, isNullable ? Expression.Property(v, "Value") : v)));
        return Expression.Lambda<Action<TWriter, object>>(body, writer, o).Compile();
    }

    // A compiled (object o) => (object)((T)o).Property: a tenth of the cost of PropertyInfo.GetValue,
    // which matters when a search page writes 500 songs of 50 fields each.
    private static Func<object, object?> Getter(PropertyInfo p)
    {
        var o = Expression.Parameter(typeof(object), "o");
        var body = Expression.Convert(Expression.Property(Expression.Convert(o, p.DeclaringType!), p), typeof(object));
        return Expression.Lambda<Func<object, object?>>(body, o).Compile();
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
        // The children go straight after '>': an element without any is closed as <name/> instead,
        // which saves a builder per element (a search page has thousands).
        sb.Append('>');
        var start = sb.Length;
        if (text is not null) Escape(sb, text);
        Children(sb, value);
        if (text is null && sb.Length == start) { sb.Length = start - 1; sb.Append("/>"); }
        else sb.Append("</").Append(name).Append('>');
    }

    private static void Attributes(StringBuilder sb, object value, ref string? text)
    {
        foreach (var f in FieldsOf(value.GetType()))
        {
            if (f.XmlAttribute is { } write) { write(sb, value); continue; }
            if (f.Kind is Kind.Object or Kind.ObjectList or Kind.ScalarList) continue;
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
            if (f.Kind is Kind.Scalar or Kind.Text) continue;
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
        bool b => Text(b),
        DateTimeOffset d => Iso(d),
        double d => Text(d),
        float f => Text(f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Text(bool b) => b ? "true" : "false";
    private static string Text(double d) => d.ToString("R", CultureInfo.InvariantCulture);
    private static string Text(float f) => f.ToString("R", CultureInfo.InvariantCulture);

    public static string Iso(DateTimeOffset d)
    {
        Span<char> text = stackalloc char[IsoLength];
        FormatIso(d, text);
        return new string(text);
    }

    private const int IsoLength = 24;

    // yyyy-MM-ddTHH:mm:ss.fffZ in UTC, digit by digit: the format string's parser (DateTimeFormat's
    // tokenizer) cost more than the date's writing, on every created, starred and played field.
    private static void FormatIso(DateTimeOffset d, Span<char> text)
    {
        var t = d.UtcDateTime;
        Digits(text[..4], t.Year); text[4] = '-';
        Digits(text.Slice(5, 2), t.Month); text[7] = '-';
        Digits(text.Slice(8, 2), t.Day); text[10] = 'T';
        Digits(text.Slice(11, 2), t.Hour); text[13] = ':';
        Digits(text.Slice(14, 2), t.Minute); text[16] = ':';
        Digits(text.Slice(17, 2), t.Second); text[19] = '.';
        Digits(text.Slice(20, 3), t.Millisecond); text[23] = 'Z';
    }

    private static void Digits(Span<char> into, int value)
    {
        for (var i = into.Length - 1; i >= 0; i--, value /= 10) into[i] = (char)('0' + value % 10);
    }

    // The scalars' writers, one overload per type the compiled field writers call (ScalarWriter).
    // XML: the text Text() gives, escaped; JSON: as JsonScalar writes them.
    private static void WriteScalar(StringBuilder sb, string s) => Escape(sb, s);
    private static void WriteScalar(StringBuilder sb, bool b) => sb.Append(Text(b));
    private static void WriteScalar(StringBuilder sb, int i) => sb.Append(CultureInfo.InvariantCulture, $"{i}");
    private static void WriteScalar(StringBuilder sb, long l) => sb.Append(CultureInfo.InvariantCulture, $"{l}");
    private static void WriteScalar(StringBuilder sb, double d) => sb.Append(Text(d));
    private static void WriteScalar(StringBuilder sb, float f) => sb.Append(Text(f));
    private static void WriteScalar(StringBuilder sb, DateTimeOffset d)
    {
        Span<char> text = stackalloc char[IsoLength];
        FormatIso(d, text);
        sb.Append(text);
    }

    private static void WriteScalar(Utf8JsonWriter w, string s) => w.WriteStringValue(s);
    private static void WriteScalar(Utf8JsonWriter w, bool b) => w.WriteBooleanValue(b);
    private static void WriteScalar(Utf8JsonWriter w, int i) => w.WriteNumberValue(i);
    private static void WriteScalar(Utf8JsonWriter w, long l) => w.WriteNumberValue(l);
    private static void WriteScalar(Utf8JsonWriter w, double d) => w.WriteNumberValue(double.IsFinite(d) ? d : 0);
    private static void WriteScalar(Utf8JsonWriter w, float f) => w.WriteNumberValue(float.IsFinite(f) ? f : 0);
    private static void WriteScalar(Utf8JsonWriter w, DateTimeOffset d)
    {
        Span<char> text = stackalloc char[IsoLength];
        FormatIso(d, text);
        w.WriteStringValue(text);
    }

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
            if (f.Json is { } write) { write(w, value); continue; }
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
            case bool b: WriteScalar(w, b); break;
            case int i: WriteScalar(w, i); break;
            case long l: WriteScalar(w, l); break;
            case double d: WriteScalar(w, d); break;
            case float f: WriteScalar(w, f); break;
            case DateTimeOffset d: WriteScalar(w, d); break;
            default: w.WriteStringValue(value.ToString()); break;
        }
    }
}
