using Microsoft.AspNetCore.Http.HttpResults;
using Sillon.Catalog;

namespace Sillon.Search;

public static class SearchEndpoints
{
    public const int MaxQueryLength = 200;

    public static void MapSearchEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/search", async Task<Results<Ok<SearchResults>, ValidationProblem>> (string? q, int? limit, int? offset, Data.Database db, CancellationToken ct) =>
        {
            if (q is null || q.Length > MaxQueryLength)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["q"] = [$"give a query of at most {MaxQueryLength} characters"] });
            var paging = Paging.From(offset, limit, defaultLimit: 20);
            if (SearchIndex.MatchExpression(q) is not { } match) return TypedResults.Ok(new SearchResults([], [], []));
            await using var c = await db.OpenAsync(ct);
            var page = (paging.Limit, paging.Offset);
            var (artists, albums, tracks) = await SearchIndex.PagesAsync(c, match, q, page, page, page, ct);
            return TypedResults.Ok(await CatalogQueries.ByIdsAsync(c, artists, albums, tracks, ct));
        })
        .WithTags("Search")
        .WithSummary("Search as you type: artists, albums and tracks whose words start with the query's words, accents and case aside; exact names first, then by popularity");
    }
}
