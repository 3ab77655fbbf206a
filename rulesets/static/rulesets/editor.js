/* The rule editor: dmn-js (vendored, global DmnJS) plus Creditbox's save, validation, test runs,
   review and the data-dictionary column picker. Plain browser JavaScript, no build step. */
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('editor-data').textContent);
  const csrf = document.querySelector('input[name=csrfmiddlewaretoken]').value;
  const statusLine = document.getElementById('editor-status');
  const canEdit = !!document.getElementById('save-draft');
  const modeler = new DmnJS({ container: '#dmn-canvas' });
  window.ruleEditor = { modeler: modeler };
  let dirty = false;
  let validateTimer = null;

  // ------------------------------------------------------------------ helpers
  function say(text, kind) {
    statusLine.textContent = text;
    statusLine.className = kind || '';
  }

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => {
      if (name === 'text') node.textContent = value; else node.setAttribute(name, value);
    });
    (children || []).forEach((child) => node.appendChild(child));
    return node;
  }

  async function call(url, body) {
    const response = await fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf },
      body: JSON.stringify(body || {}),
    });
    let payload = {};
    try { payload = await response.json(); } catch (error) { payload = {}; }
    if (!response.ok) {
      const detail = (payload.errors || []).map((e) => e.detail).join(' ') || ('HTTP ' + response.status);
      const failure = new Error(detail);
      failure.status = response.status;
      throw failure;
    }
    return payload;
  }

  async function currentXml() {
    return (await modeler.saveXML({ format: true })).xml;
  }

  function firstTableView() {
    return modeler.getViews().find((view) => view.type === 'decisionTable');
  }

  // ------------------------------------------------------------------ the requirements diagram
  // Hand-written and generated DMN often has no diagram (DMNDI): dmn-js then draws an empty DRD.
  // Every decision, input and knowledge model without a shape gets one, in layers (inputs at the
  // bottom, each decision above what it requires), and every requirement without an edge gets one.
  const DMNDI = 'https://www.omg.org/spec/DMN/20191111/DMNDI/';
  const DC = 'http://www.omg.org/spec/DMN/20180521/DC/';
  const DI = 'http://www.omg.org/spec/DMN/20180521/DI/';
  const SIZES = { decision: [180, 80], inputData: [125, 45], businessKnowledgeModel: [135, 46] };

  function withDiagram(xml) {
    const doc = new DOMParser().parseFromString(xml, 'application/xml');
    const definitions = doc.documentElement;
    if (definitions.namespaceURI !== DMN || doc.getElementsByTagName('parsererror').length) return xml;
    const elements = Array.from(definitions.children).filter((node) => SIZES[node.localName] && node.getAttribute('id'));
    const byId = Object.fromEntries(elements.map((node) => [node.getAttribute('id'), node]));
    const requirementsOf = (node) => Array.from(node.children)
      .filter((child) => child.localName === 'informationRequirement' || child.localName === 'knowledgeRequirement')
      .map((requirement) => {
        const reference = requirement.firstElementChild;
        const href = reference ? (reference.getAttribute('href') || '').replace(/^#/, '') : '';
        if (!requirement.getAttribute('id')) requirement.setAttribute('id', newId('Requirement'));
        return { requirement, source: byId[href] };
      }).filter((entry) => entry.source);
    const layers = {};
    const layerOf = (node, trail) => {
      const id = node.getAttribute('id');
      if (id in layers) return layers[id];
      if (node.localName !== 'decision' || trail.has(id)) return (layers[id] = 0);
      trail.add(id);
      layers[id] = 1 + Math.max(0, ...requirementsOf(node).map((entry) => layerOf(entry.source, trail)));
      return layers[id];
    };
    elements.forEach((node) => layerOf(node, new Set()));
    let dmndi = Array.from(definitions.children).find((child) => child.localName === 'DMNDI');
    if (!dmndi) {
      dmndi = doc.createElementNS(DMNDI, 'dmndi:DMNDI');
      definitions.appendChild(dmndi);
    }
    let diagram = Array.from(dmndi.children).find((child) => child.localName === 'DMNDiagram');
    if (!diagram) {
      diagram = doc.createElementNS(DMNDI, 'dmndi:DMNDiagram');
      diagram.setAttribute('id', newId('DMNDiagram'));
      dmndi.appendChild(diagram);
    }
    const bounds = {};
    Array.from(diagram.children).filter((child) => child.localName === 'DMNShape').forEach((shape) => {
      const box = shape.firstElementChild;
      if (box) bounds[shape.getAttribute('dmnElementRef')] = ['x', 'y', 'width', 'height'].map((a) => Number(box.getAttribute(a)));
    });
    const top = Math.max(0, ...Object.values(layers));
    const used = {};
    const missing = elements.filter((node) => !bounds[node.getAttribute('id')]);
    const perLayer = {};
    missing.forEach((node) => { const layer = layers[node.getAttribute('id')] || 0; perLayer[layer] = (perLayer[layer] || 0) + 1; });
    const widest = Math.max(0, ...Object.values(perLayer));
    const spacing = 160;
    const startX = Object.keys(bounds).length ? Math.max(...Object.values(bounds).map((b) => b[0] + b[2])) + 60 : 140;
    missing.forEach((node) => {
      const id = node.getAttribute('id');
      const layer = layers[id] || 0;
      const [width, height] = SIZES[node.localName];
      const column = used[layer] = (used[layer] || 0) + 1;
      const centre = startX + (widest - perLayer[layer]) * spacing / 2 + (column - 1) * spacing + spacing / 2;
      const box = [Math.round(centre - width / 2), 40 + (top - layer) * 160, width, height];
      bounds[id] = box;
      const shape = doc.createElementNS(DMNDI, 'dmndi:DMNShape');
      shape.setAttribute('id', newId('DMNShape'));
      shape.setAttribute('dmnElementRef', id);
      const rectangle = doc.createElementNS(DC, 'dc:Bounds');
      ['x', 'y', 'width', 'height'].forEach((name, index) => rectangle.setAttribute(name, box[index]));
      shape.appendChild(rectangle);
      diagram.appendChild(shape);
    });
    const edged = new Set(Array.from(diagram.children).filter((child) => child.localName === 'DMNEdge')
      .map((edge) => edge.getAttribute('dmnElementRef')));
    elements.filter((node) => node.localName !== 'inputData').forEach((node) => {
      requirementsOf(node).forEach(({ requirement, source }) => {
        if (edged.has(requirement.getAttribute('id'))) return;
        const from = bounds[source.getAttribute('id')];
        const to = bounds[node.getAttribute('id')];
        const edge = doc.createElementNS(DMNDI, 'dmndi:DMNEdge');
        edge.setAttribute('id', newId('DMNEdge'));
        edge.setAttribute('dmnElementRef', requirement.getAttribute('id'));
        [[from[0] + from[2] / 2, from[1]], [to[0] + to[2] / 2, to[1] + to[3]]].forEach(([x, y]) => {
          const point = doc.createElementNS(DI, 'di:waypoint');
          point.setAttribute('x', Math.round(x));
          point.setAttribute('y', Math.round(y));
          edge.appendChild(point);
        });
        diagram.appendChild(edge);
      });
    });
    return new XMLSerializer().serializeToString(doc);
  }

  async function load(xml, decisionId) {
    await modeler.importXML(withDiagram(xml));
    const views = modeler.getViews();
    const target = views.find((view) => view.type === 'decisionTable' && view.element.id === decisionId)
      || firstTableView();
    if (target) await modeler.open(target);
    watchChanges();
    renderColumns();
  }

  function watchChanges() {
    const viewer = modeler.getActiveViewer();
    if (!viewer || viewer.__creditboxWatched) return;
    viewer.__creditboxWatched = true;
    viewer.on('elements.changed', () => {
      dirty = true;
      if (canEdit) say('Unsaved changes');
      clearTimeout(validateTimer);
      validateTimer = setTimeout(validate, 700);
    });
  }

  // ------------------------------------------------------------------ validation
  function renderMessages(messages) {
    const list = document.getElementById('validation-messages');
    list.innerHTML = '';
    if (!messages.length) {
      list.appendChild(el('li', { class: 'clean', text: 'No problems found.' }));
      return;
    }
    messages.forEach((message) => {
      const item = el('li', { class: 'severity-' + message.severity, 'data-code': message.code });
      if (message.rule) {
        item.setAttribute('data-rule', message.rule);
        item.title = 'Show rule ' + message.rule;
        item.addEventListener('click', () => showRule(message.rule, message.column));
      }
      if (message.column) item.setAttribute('data-column', message.column);
      item.appendChild(el('span', { class: 'message-text', text: message.message }));
      if (message.counterexample && message.counterexample.length) {
        const rows = message.counterexample.map((cell) => el('tr', {}, [
          el('td', { text: cell.column }), el('td', { text: cell.value })]));
        item.appendChild(el('table', { class: 'counterexample' }, [
          el('caption', { text: 'Counter-example input' }), el('tbody', {}, rows)]));
      }
      list.appendChild(item);
    });
  }

  function showRule(number, column) {
    const row = document.querySelectorAll('.tjs-table tbody tr')[number - 1];
    if (!row) return;
    const header = Array.from(document.querySelectorAll('.tjs-table thead th[data-col-id]'))
      .find((th) => column && (th.querySelector('.input-label, .output-label') || {}).textContent === column);
    const cell = header ? row.querySelector('td[data-col-id="' + header.getAttribute('data-col-id') + '"]') : null;
    (cell || row).scrollIntoView({ block: 'center', inline: 'center' });
    row.classList.add('flagged-rule');
    setTimeout(() => row.classList.remove('flagged-rule'), 2000);
  }

  async function validate() {
    try {
      const result = await call(data.urls.validate, { dmnXml: await currentXml() });
      renderMessages(result.messages);
      return result.messages;
    } catch (error) {
      say(error.message, 'error');
      return null;
    }
  }

  // ------------------------------------------------------------------ save, tests, review
  async function save() {
    say('Saving…');
    try {
      const result = await call(data.urls.save, { dmnXml: await currentXml() });
      dirty = false;
      renderMessages(result.messages);
      const errors = result.messages.filter((m) => m.severity === 'error').length;
      say('Draft saved' + (errors ? ' (' + errors + ' error' + (errors > 1 ? 's' : '') + ' to fix before review)' : ''),
          errors ? 'error' : 'ok');
      return result;
    } catch (error) {
      say('Not saved: ' + error.message, 'error');
      return null;
    }
  }

  function renderTests(result) {
    const box = document.getElementById('test-results');
    box.innerHTML = '';
    if (!result.results.length) {
      box.appendChild(el('p', { class: 'muted', text: 'The ruleset has no test cases.' }));
      return;
    }
    const passed = result.results.filter((r) => r.passed).length;
    box.appendChild(el('p', { class: 'test-summary', text: passed + ' of ' + result.results.length + ' passed' }));
    const rows = result.results.map((r) => el('tr', { class: 'test-result ' + (r.passed ? 'passed' : 'failed') }, [
      el('td', { text: r.passed ? '✔' : '✘' }), el('td', { text: r.name }), el('td', { text: r.passed ? '' : r.summary }),
    ]));
    box.appendChild(el('table', {}, [el('tbody', {}, rows)]));
  }

  async function runTests() {
    if (canEdit && dirty && !(await save())) return;
    say('Running test cases…');
    try {
      const result = await call(data.urls.test_run, {});
      renderTests(result);
      say(result.passed ? 'All test cases pass' : 'Some test cases fail', result.passed ? 'ok' : 'error');
    } catch (error) {
      say('Test cases not run: ' + error.message, 'error');
    }
  }

  async function submitForReview() {
    if (dirty && !(await save())) return;
    say('Submitting…');
    try {
      await call(data.urls.submit, { note: document.getElementById('submit-note').value });
      say('Submitted for review', 'ok');
      window.location.reload();
    } catch (error) {
      say('Not submitted: ' + error.message, 'error');
    }
  }

  async function approve() {
    say('Approving…');
    try {
      const result = await call(data.urls.approve, {
        effectiveFrom: document.getElementById('effective-from').value,
        note: document.getElementById('review-note').value,
      });
      say('Approved and published, effective from ' + result.effectiveFrom, 'ok');
      window.location.reload();
    } catch (error) {
      say('Not approved: ' + error.message, 'error');
    }
  }

  async function reject() {
    say('Rejecting…');
    try {
      await call(data.urls.reject, { note: document.getElementById('review-note').value });
      window.location.reload();
    } catch (error) {
      say('Not rejected: ' + error.message, 'error');
    }
  }

  // ------------------------------------------------------------------ columns from the dictionary
  // The picker edits the XML dmn-js writes and imports it again: the documented way in and out of
  // dmn-js, so it works whatever the editor's internals.
  const DMN = 'https://www.omg.org/spec/DMN/20191111/MODEL/';

  function children(node, name) {
    return Array.from(node.children).filter((child) => child.localName === name);
  }

  function newId(prefix) {
    return prefix + '_' + Math.random().toString(36).slice(2, 10);
  }

  function create(doc, like, name) {
    const namespace = like.namespaceURI || DMN;
    return doc.createElementNS(namespace, like.prefix ? like.prefix + ':' + name : name);
  }

  function textChild(doc, parent, value) {
    let text = children(parent, 'text')[0];
    if (!text) { text = create(doc, parent, 'text'); parent.appendChild(text); }
    text.textContent = value;
  }

  function activeDecisionId() {
    const view = modeler.getActiveView();
    if (view && view.type === 'decisionTable') return view.element.id;
    const first = firstTableView();
    return first ? first.element.id : null;
  }

  async function tableDocument() {
    const xml = (await modeler.saveXML({ format: false })).xml;
    const doc = new DOMParser().parseFromString(xml, 'application/xml');
    const decisionId = activeDecisionId();
    const decision = Array.from(doc.getElementsByTagNameNS('*', 'decision')).find((d) => d.getAttribute('id') === decisionId);
    const table = decision ? children(decision, 'decisionTable')[0] : null;
    return { doc, decision, table, decisionId };
  }

  function declareInput(doc, decision, field) {
    const definitions = doc.documentElement;
    let input = children(definitions, 'inputData').find((d) => d.getAttribute('name') === field.name);
    if (!input) {
      input = create(doc, definitions, 'inputData');
      input.setAttribute('id', newId('InputData'));
      input.setAttribute('name', field.name);
      const variable = create(doc, definitions, 'variable');
      variable.setAttribute('id', newId('InformationItem'));
      variable.setAttribute('name', field.name);
      if (field.typeRef) variable.setAttribute('typeRef', field.typeRef);
      input.appendChild(variable);
      definitions.insertBefore(input, children(definitions, 'decision')[0] || null);
    }
    const href = '#' + input.getAttribute('id');
    const required = Array.from(decision.getElementsByTagNameNS('*', 'requiredInput'))
      .some((r) => r.getAttribute('href') === href);
    if (!required) {
      const requirement = create(doc, decision, 'informationRequirement');
      requirement.setAttribute('id', newId('InformationRequirement'));
      const reference = create(doc, decision, 'requiredInput');
      reference.setAttribute('href', href);
      requirement.appendChild(reference);
      const tableNode = children(decision, 'decisionTable')[0];
      const variable = children(decision, 'variable')[0];
      decision.insertBefore(requirement, variable ? variable.nextSibling : (tableNode || null));
    }
  }

  function pointInput(doc, decision, clause, field) {
    clause.setAttribute('label', field.name);
    const expression = children(clause, 'inputExpression')[0];
    if (field.typeRef) expression.setAttribute('typeRef', field.typeRef); else expression.removeAttribute('typeRef');
    textChild(doc, expression, field.name);
    declareInput(doc, decision, field);
  }

  function pointOutput(clause, field) {
    clause.setAttribute('name', field.name);
    clause.setAttribute('label', field.name);
    if (field.typeRef) clause.setAttribute('typeRef', field.typeRef); else clause.removeAttribute('typeRef');
  }

  async function changeTable(mutate) {
    const { doc, decision, table, decisionId } = await tableDocument();
    if (!table) { say('Open a decision table first', 'error'); return; }
    mutate(doc, decision, table);
    await load(new XMLSerializer().serializeToString(doc), decisionId);
    dirty = true;
    say('Unsaved changes');
    validate();
  }

  function fieldNamed(name) {
    return data.dictionary.find((field) => field.name === name);
  }

  function fieldSelect(selected, forInput) {
    const select = el('select');
    select.appendChild(el('option', { value: '', text: '— choose a field —' }));
    if (selected && !fieldNamed(selected)) {
      const mapped = (data.mapping || {})[selected];  // mapped in "Columns and the data dictionary"
      const note = mapped ? ' (mapped to ' + mapped + ')' : ' (not a dictionary field)';
      select.appendChild(el('option', { value: '', text: selected + note }));
      select.lastChild.selected = true;
    }
    data.dictionary.filter((field) => !(forInput && field.protected)).forEach((field) => {
      const option = el('option', { value: field.name, text: field.name + ' (' + field.dataType + ')' });
      if (field.description) option.title = field.description;
      if (field.name === selected) option.selected = true;
      select.appendChild(option);
    });
    return select;
  }

  async function renderColumns() {
    const box = document.getElementById('columns');
    if (!box) return;
    const { table } = await tableDocument();
    box.innerHTML = '';
    if (!table) { box.appendChild(el('p', { class: 'muted', text: 'Open a decision table to choose its columns.' })); return; }
    const rows = [];
    children(table, 'input').forEach((clause, index) => {
      const expression = children(clause, 'inputExpression')[0];
      const text = (children(expression, 'text')[0] || {}).textContent || '';
      const select = fieldSelect(text.trim(), true);
      select.setAttribute('data-input-column', index + 1);
      select.addEventListener('change', () => {
        const field = fieldNamed(select.value);
        if (field) changeTable((doc, decision, t) => pointInput(doc, decision, children(t, 'input')[index], field));
      });
      const known = fieldNamed(text.trim()) || fieldNamed((data.mapping || {})[text.trim()]);
      rows.push(el('tr', {}, [el('td', { text: 'In ' + (index + 1) }), el('td', {}, [select]),
        el('td', { class: known ? '' : 'severity-error', text: known ? known.dataType : 'not in the dictionary' })]));
    });
    children(table, 'output').forEach((clause, index) => {
      const select = fieldSelect(clause.getAttribute('name') || '', false);
      select.setAttribute('data-output-column', index + 1);
      select.addEventListener('change', () => {
        const field = fieldNamed(select.value);
        if (field) changeTable((doc, decision, t) => pointOutput(children(t, 'output')[index], field));
      });
      rows.push(el('tr', {}, [el('td', { text: 'Out ' + (index + 1) }), el('td', {}, [select]), el('td', { text: '' })]));
    });
    box.appendChild(el('table', {}, [el('tbody', {}, rows)]));

    const addInput = fieldSelect('', true);
    addInput.id = 'add-input-field';
    const addInputButton = el('button', { type: 'button', class: 'button', id: 'add-input-column', text: 'Add input column' });
    addInputButton.addEventListener('click', () => {
      const field = fieldNamed(addInput.value);
      if (!field) { say('Choose a dictionary field for the new column', 'error'); return; }
      changeTable((doc, decision, t) => {
        const clause = create(doc, t, 'input');
        clause.setAttribute('id', newId('InputClause'));
        const expression = create(doc, t, 'inputExpression');
        expression.setAttribute('id', newId('LiteralExpression'));
        clause.appendChild(expression);
        const inputs = children(t, 'input');
        t.insertBefore(clause, inputs.length ? inputs[inputs.length - 1].nextSibling : t.firstChild);
        pointInput(doc, decision, clause, field);
        children(t, 'rule').forEach((rule) => {
          const entry = create(doc, rule, 'inputEntry');
          entry.setAttribute('id', newId('UnaryTests'));
          textChild(doc, entry, '-');
          const entries = children(rule, 'inputEntry');
          const before = entries.length ? entries[entries.length - 1].nextSibling : children(rule, 'outputEntry')[0];
          rule.insertBefore(entry, before || null);
        });
      });
    });
    const addOutput = fieldSelect('', false);
    addOutput.id = 'add-output-field';
    const addOutputButton = el('button', { type: 'button', class: 'button', id: 'add-output-column', text: 'Add output column' });
    addOutputButton.addEventListener('click', () => {
      const field = fieldNamed(addOutput.value);
      if (!field) { say('Choose a dictionary field for the new column', 'error'); return; }
      changeTable((doc, decision, t) => {
        const clause = create(doc, t, 'output');
        clause.setAttribute('id', newId('OutputClause'));
        const outputs = children(t, 'output');
        t.insertBefore(clause, outputs[outputs.length - 1].nextSibling);
        pointOutput(clause, field);
        children(t, 'rule').forEach((rule) => {
          const entry = create(doc, rule, 'outputEntry');
          entry.setAttribute('id', newId('LiteralExpression'));
          textChild(doc, entry, '');
          const entries = children(rule, 'outputEntry');
          rule.insertBefore(entry, entries[entries.length - 1].nextSibling);
        });
      });
    });
    box.appendChild(el('p', {}, [addInput, addInputButton]));
    box.appendChild(el('p', {}, [addOutput, addOutputButton]));
  }

  // ------------------------------------------------------------------ wiring
  function on(id, handler) {
    const button = document.getElementById(id);
    if (button) button.addEventListener('click', handler);
  }
  on('save-draft', save);
  on('validate', validate);
  on('run-tests', runTests);
  on('submit-review', submitForReview);
  on('approve', approve);
  on('reject', reject);
  modeler.on('views.changed', ({ activeView }) => {
    watchChanges();
    renderColumns();
    if (activeView && activeView.type === 'drd') {
      modeler.getActiveViewer().get('canvas').zoom('fit-viewport', 'auto');
    }
  });

  load(data.dmnXml).then(() => {
    say('');
    validate();
    window.ruleEditor.ready = true;
    document.getElementById('rule-editor').setAttribute('data-ready', 'true');
  }).catch((error) => say('The DMN could not be opened: ' + error.message, 'error'));
}());
