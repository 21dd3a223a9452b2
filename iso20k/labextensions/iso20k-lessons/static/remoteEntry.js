// iso20k-lessons: JupyterLab 4 for the course's lesson notebooks.
//
// A prebuilt ("federated") JupyterLab extension written by hand: JupyterLab loads this file and
// calls window._JUPYTERLAB["iso20k-lessons"].init() and .get("./extension"), the container
// interface every prebuilt extension offers.  It shares and imports no module (it uses only the
// objects JupyterLab hands its plugins), so nothing is built, bundled or downloaded.
// iso20k.lab_settings puts its folder on JupyterLab's extra_labextensions_path.
//
// For a notebook `iso20k build-course` marked as a lesson (notebook metadata
// "iso20k": {"lesson": true}) it
//  - hides every code cell's input (no editor, no "..." collapsed-input bar), the collapser bars
//    in the left margin (a click there no longer folds a question away) and the cell toolbar,
//    and takes nbgrader's Validate button off the lesson's toolbar (exams keep theirs);
//  - runs the code cells as soon as the kernel is ready, without moving the view or the active
//    cell, so the questions appear while the learner stays at the lesson's start; again after a
//    kernel restart; and leaves the notebook unmodified (no "save your changes?" on closing);
//  - runs nothing when a code cell holds anything but the product's own calls (LESSON_LINE), so
//    a notebook that merely claims to be a lesson runs no code of its own when opened.
(function () {
  "use strict";

  var NAME = "iso20k-lessons";
  var LESSON_CLASS = "iso20k-lesson";

  // One line of a lesson's code cell: blank, a comment, `from iso20k import <names>` (optionally
  // followed by `; <call>`), or one call of the course's functions with string literal arguments.
  var FUNC = "(?:language_picker|my_training|progress|quiz|set_language|whoami)";
  var STR = '"(?:[^"\\\\\\n]|\\\\.)*"';
  var CALL = FUNC + "\\((?:" + STR + "(?:,\\s*section=" + STR + ")?)?\\)";
  var IMPORT = "from iso20k import " + FUNC + "(?:,\\s*" + FUNC + ")*(?:;\\s*" + CALL + ")?";
  var LESSON_LINE = new RegExp("^(?:|#.*|" + CALL + "|" + IMPORT + ")$");

  var CSS = [
    "." + LESSON_CLASS + " .jp-CodeCell .jp-Cell-inputWrapper { display: none; }",
    "." + LESSON_CLASS + " .jp-Collapser { visibility: hidden; pointer-events: none; }",
    "." + LESSON_CLASS + " .jp-OutputArea-promptOverlay { pointer-events: none; }",
    "." + LESSON_CLASS + " .jp-cell-toolbar { display: none; }",
    "." + LESSON_CLASS + " .validate-button { display: none; }"
  ].join("\n");

  function isLesson(model) {
    var meta = model && model.getMetadata ? model.getMetadata("iso20k") : null;
    return !!(meta && meta.lesson === true);
  }

  function isLessonCode(source) {
    return source.split("\n").every(function (line) { return LESSON_LINE.test(line.trim()); });
  }

  function onlyLessonCalls(notebook) {
    return notebook.widgets.every(function (cell) {
      return cell.model.type !== "code" || isLessonCode(cell.model.sharedModel.getSource());
    });
  }

  // nbgrader's Validate button: the plain (not command) toolbar button nbgrader 0.9 inserts under
  // the name "runAll", or any item drawing a .validate-button (its class is on the React
  // component inside the item, drawn a frame later: looked for again then).  The style sheet
  // hides it in lessons in any case.
  function removeValidateButton(panel, again) {
    var names = Array.from(panel.toolbar.names());
    var found = Array.from(panel.toolbar.children()).filter(function (item, index) {
      if (!item) return false;
      var nbgrader = names[index] === "runAll" && !item.node.classList.contains("jp-CommandToolbarButton");
      return nbgrader || item.node.classList.contains("validate-button") || !!item.node.querySelector(".validate-button");
    });
    found.forEach(function (item) { item.dispose(); });
    if (again) requestAnimationFrame(function () { removeValidateButton(panel, false); });
  }

  // Every code cell, as JupyterLab's own CodeCell.execute runs one, minus what moves the view
  // (no active-cell change, no scrolling).  The requests go out at once and the kernel runs them
  // in order; after an error it skips the rest (stop_on_error), as Run All would.
  async function runLesson(panel) {
    var kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    if (!kernel || panel.isDisposed) return;
    var running = [];
    for (var cell of panel.content.widgets) {
      if (cell.model.type !== "code") continue;
      var model = cell.model;
      var code = model.sharedModel.getSource();
      model.sharedModel.transact(function () { model.clearExecution(); }, false);
      if (!code.trim()) continue;
      model.executionState = "running";
      model.trusted = true;
      var future = kernel.requestExecute({ code: code, stop_on_error: true }, false,
                                         { cellId: model.sharedModel.getId() });
      cell.outputArea.future = future;
      running.push([model, future]);
    }
    for (var pair of running) {
      try {
        var reply = await pair[1].done;
        if (reply.content.status === "ok") pair[0].executionCount = reply.content.execution_count;
        else pair[0].executionState = "idle";
      } catch (reason) {  // the kernel went away, or the cell was run again meanwhile
        pair[0].executionState = "idle";
      }
    }
    if (!panel.isDisposed) panel.context.model.dirty = false;  // what ran is not the learner's change
  }

  // Whether the lesson already ran in this kernel (the page was reloaded, or the notebook opened
  // again while its kernel lived on): asked without running anything, as a user expression.
  async function ranInThisKernel(kernel) {
    var reply = await kernel.requestExecute({
      code: "", silent: true, store_history: false,
      user_expressions: { ran: "'iso20k.widgets' in __import__('sys').modules" }
    }).done;
    var ran = reply.content.user_expressions && reply.content.user_expressions.ran;
    return !!(ran && ran.status === "ok" && ran.data["text/plain"] === "True");
  }

  function prepare(panel, context) {
    context.ready.then(function () {
      if (!isLesson(context.model)) return;
      panel.addClass(LESSON_CLASS);
      removeValidateButton(panel, true);
      if (!onlyLessonCalls(panel.content)) {
        console.warn(NAME + ": " + context.path + " is marked as a lesson but holds other code; " +
                     "it is not run automatically");
        return;
      }
      var session = panel.sessionContext;
      var failed = function (reason) { console.error(NAME + ": could not run " + context.path, reason); };
      // Run the lesson in a kernel that has not run it yet.  A kernel that did (the page was
      // reloaded, or the notebook opened again while its kernel lived on) still holds all of its
      // old widgets, and JupyterLab's widget manager, busy fetching those, would miss the new
      // ones: it is restarted, and the lesson runs once the fresh kernel is idle.  The same after
      // a restart the learner asked for.
      var waiting = true, checking = false;
      var check = function () {
        var kernel = session.session && session.session.kernel;
        if (!waiting || checking || !kernel || panel.isDisposed) return;
        checking = true;
        ranInThisKernel(kernel).then(function (ran) {
          checking = false;
          if (!waiting) return;
          if (ran) {
            session.restartKernel().catch(failed);
          } else {
            waiting = false;
            runLesson(panel).catch(failed);
          }
        }, function () { checking = false; });  // a kernel going away mid-question: the next idle asks again
      };
      session.statusChanged.connect(function (_sender, status) {
        if (status === "restarting" || status === "autorestarting") waiting = true;
        else if (status === "idle") check();
      });
      session.ready.then(check).catch(failed);
    });
  }

  var plugin = {
    id: NAME + ":plugin",
    description: "Lesson notebooks: no code, no Validate, questions shown at once and kept at the start.",
    autoStart: true,
    activate: function (app) {
      var style = document.createElement("style");
      style.id = NAME + "-style";
      style.textContent = CSS;
      document.head.appendChild(style);
      app.docRegistry.addWidgetExtension("Notebook", {
        createNew: function (panel, context) { prepare(panel, context); }
      });
    }
  };

  var modules = {
    "./extension": function () { return { __esModule: true, default: plugin }; }
  };
  window._JUPYTERLAB = window._JUPYTERLAB || {};
  window._JUPYTERLAB[NAME] = {
    init: function () { return Promise.resolve(); },
    get: function (request) {
      return modules[request] ? Promise.resolve(modules[request])
                              : Promise.reject(new Error(NAME + " has no module " + request));
    },
    isLessonCode: isLessonCode  // the rule, for tests (tests/test_learner_browser.py)
  };
})();
