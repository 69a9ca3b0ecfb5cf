/** /dashboard: the command-center page. No inline script or style (CSP default-src 'self'). */
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI stack — command center</title>
<link rel="icon" href="/dashboard/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header>
  <h1>AI stack <span class="sub">command center</span></h1>
  <div class="meta">
    <span id="overall" class="pill pending" data-status="">…</span>
    <span class="updated">updated <time id="updated">never</time></span>
  </div>
</header>
<div id="banner" class="banner" role="alert" hidden></div>
<main>
  <section aria-labelledby="health-title">
    <h2 id="health-title">Services</h2>
    <div id="tiles" class="tiles"><p class="pending">checking…</p></div>
  </section>
  <section aria-labelledby="internals-title" class="panel">
    <h2 id="internals-title">AI internals</h2>
    <dl id="internals" class="stats">
      <div><dt>Semantic cache hit rate</dt><dd data-field="semantic_cache" class="pending">…</dd></div>
      <div><dt>Embedding cache hit rate</dt><dd data-field="embedding_cache" class="pending">…</dd></div>
      <div><dt>Local / remote</dt><dd data-field="split" class="pending">…</dd></div>
      <div><dt>Tokens compressed (1 h)</dt><dd data-field="compression" class="pending">…</dd></div>
      <div><dt>Live tokens/s</dt><dd data-field="tokens_per_second" class="pending">…</dd></div>
      <div><dt>Mean tokens/s per answer</dt><dd data-field="mean_tokens_per_second" class="pending">…</dd></div>
    </dl>
  </section>
  <section aria-labelledby="routing-title" class="panel">
    <h2 id="routing-title">Routing decisions</h2>
    <table id="routing">
      <thead><tr><th>Backend</th><th>Reason</th><th class="num">Count</th></tr></thead>
      <tbody><tr class="pending"><td colspan="3">…</td></tr></tbody>
    </table>
    <table id="fallbacks" hidden>
      <thead><tr><th>Fallback</th><th>Reason</th><th class="num">Count</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section aria-labelledby="learning-title" class="panel wide">
    <h2 id="learning-title">Learning loop <span class="sub">(docs/learning.md)</span></h2>
    <dl id="learning" class="stats four">
      <div><dt>Routing threshold</dt><dd data-field="threshold" class="pending">…</dd></div>
      <div><dt>Latest eval score</dt><dd data-field="eval_score" class="pending">…</dd></div>
      <div><dt>Open proposals</dt><dd data-field="open_proposals" class="pending">…</dd></div>
      <div><dt>Dead letters</dt><dd data-field="dlq_depth" class="pending">…</dd></div>
    </dl>
    <div class="charts">
      <figure>
        <figcaption>Threshold history</figcaption>
        <svg id="threshold-chart" class="chart" viewBox="0 0 300 90" role="img" aria-label="routing threshold over time"></svg>
      </figure>
      <figure>
        <figcaption>Eval score over time</figcaption>
        <svg id="eval-chart" class="chart" viewBox="0 0 300 90" role="img" aria-label="eval score over time"></svg>
      </figure>
    </div>
    <table id="threshold-history">
      <thead><tr><th>Applied</th><th>From</th><th>To</th><th>By</th></tr></thead>
      <tbody><tr class="pending"><td colspan="4">…</td></tr></tbody>
    </table>
    <table id="proposals">
      <thead><tr><th>Open proposal</th><th>Change</th><th class="num">Confidence</th><th>Evidence</th></tr></thead>
      <tbody><tr class="pending"><td colspan="4">…</td></tr></tbody>
    </table>
  </section>
  <section aria-labelledby="logs-title" class="panel wide">
    <h2 id="logs-title">Recent logs <span class="sub">(last 50, newest first)</span></h2>
    <ol id="logs" class="logs"></ol>
  </section>
</main>
</body>
</html>
`;
