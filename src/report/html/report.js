// Filters by severity, rule and file. The state lives in the URL's fragment
// (#severity=error&rule=38.1&file=…): read on load and on every change of the fragment, written
// when a control changes, so a filtered view can be linked to. A finding that does not match gets
// the `hidden` attribute; an article or rule with no finding left is hidden too.
(function () {
  'use strict';
  var keys = ['severity', 'rule', 'file'];
  var findings = Array.prototype.slice.call(document.querySelectorAll('.finding'));
  var groups = Array.prototype.slice.call(document.querySelectorAll('.rule-group, .article-group'));
  var count = document.getElementById('filter-count');
  var controls = {};
  keys.forEach(function (key) { controls[key] = document.getElementById('filter-' + key); });

  function wanted() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    var f = {};
    keys.forEach(function (key) { f[key] = params.get(key) || ''; });
    return f;
  }

  // A value from the fragment that no finding has still shows in its control (and matches none).
  function choose(select, value) {
    var found = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
    if (!found) {
      var option = document.createElement('option');
      option.value = value;
      option.textContent = value;
      select.appendChild(option);
    }
    select.value = value;
  }

  function matches(el, f) {
    var d = el.dataset;
    if (f.severity && d.severity !== f.severity) { return false; }
    // `rule=38` stands for every rule of article 38.
    if (f.rule && d.rule !== f.rule && d.rule.indexOf(f.rule + '.') !== 0) { return false; }
    if (f.file && d.file !== f.file) { return false; }
    return true;
  }

  function apply() {
    var f = wanted();
    keys.forEach(function (key) { choose(controls[key], f[key]); });
    var shown = 0;
    findings.forEach(function (el) {
      var ok = matches(el, f);
      el.hidden = !ok;
      if (ok) { shown += 1; }
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector('.finding:not([hidden])'); });
    count.textContent = 'findings shown: ' + shown + ' of ' + findings.length;
  }

  function write() {
    var params = new URLSearchParams();
    keys.forEach(function (key) { if (controls[key].value) { params.set(key, controls[key].value); } });
    window.location.hash = params.toString();
  }

  keys.forEach(function (key) { controls[key].addEventListener('change', write); });
  document.getElementById('filter-reset').addEventListener('click', function () {
    keys.forEach(function (key) { controls[key].value = ''; });
    write();
  });
  window.addEventListener('hashchange', apply);
  apply();
  // Says that the script ran (its hash admitted by the page's policy): the browser check reads it.
  document.getElementById('filters').setAttribute('data-script', 'ran');
}());
