using System.Net;
using System.Text.Json;
using Sillon.Subsonic;

namespace Sillon.Tests.Subsonic;

/// <summary>Every endpoint, with absent, malformed and extreme parameters, as a non-admin user: a Subsonic answer every time, never a 500.</summary>
public sealed class SubsonicFuzzTests(SubsonicFixture fx) : IClassFixture<SubsonicFixture>
{
    private static readonly string[] Inputs =
    [
        "",
        "id=&u2=&size=&count=&offset=",
        "id=tr-1&id=al-1&id=ar-1&id=fo-1&id=pl-1&id=sh-1&id=ra-1",
        "id=%FF%FE&type=%00&query=%22*%22%20NEAR(&username=%00&name=%0A",
        "id=tr-9223372036854775807&size=2147483648&count=-2147483649&offset=99999999999999&position=-1&rating=NaN&time=1e99",
        "id=al-1&type=byYear&fromYear=-5&toYear=999999&genre=&current=tr-1&currentIndex=-3&expires=-1&public=maybe&submission=perhaps",
        "playlistId=pl-1&songIdToAdd=tr-1&songIndexToRemove=-1&streamUrl=javascript:alert(1)&homepageUrl=x&maxBitRate=-7&adminRole=yes",
    ];

    [Theory]
    [InlineData("bob")]
    [InlineData("alice")]
    public async Task Every_endpoint_answers_hostile_input_with_a_subsonic_response(string user)
    {
        var failures = new List<string>();
        var answered = 0;
        foreach (var name in SubsonicEndpoints.EndpointNames.Order(StringComparer.Ordinal))
        {
            foreach (var input in Inputs)
            {
                using var response = await fx.GetAsync(name, input, user);
                answered++;
                var status = (int)response.StatusCode;
                var type = response.Content.Headers.ContentType?.MediaType;
                if (status >= 500) { failures.Add($"{name}?{input}: HTTP {status}"); continue; }
                if (type != "application/json") continue; // a file (stream, cover art) or an empty 304/416
                var body = await response.Content.ReadAsStringAsync();
                try
                {
                    var r = JsonDocument.Parse(body).RootElement.GetProperty("subsonic-response");
                    if (r.TryGetProperty("error", out var error) && error.GetProperty("code").GetInt32() == 40)
                        failures.Add($"{name}?{input}: authentication failed, so nothing was tested");
                    if (r.GetProperty("status").GetString() == "failed" && r.GetProperty("error").GetProperty("message").GetString()!.StartsWith("Internal error", StringComparison.Ordinal))
                        failures.Add($"{name}?{input}: internal error\n{fx.ServerErrors()}");
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    failures.Add($"{name}?{input}: not a Subsonic answer: {body[..Math.Min(200, body.Length)]}");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(answered > 80 * Inputs.Length, $"only {answered} calls");
        using var alive = await fx.GetAsync("ping");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }
}
