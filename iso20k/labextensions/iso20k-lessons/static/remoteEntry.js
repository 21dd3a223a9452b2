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

  function onlyLessonCalls(notebook) {
    return notebook.widgets.every(function (cell) {
      if (cell.model.type !== "code") return true;
      return cell.model.sharedModel.getSource().split("\n").every(function (line) {
        return LESSON_LINE.test(line.trim());
      });
    });
  }

  function removeValidateButton(panel) {
    var found = [];
    for (var item of panel.toolbar.children()) {
      if (item && item.node.classList.contains("validate-button")) found.push(item);
    }
    found.forEach(function (item) { item.dispose(); });
  }

  // Each code cell in turn, as JupyterLab's own CodeCell.execute does it, minus what moves the
  // view (no active-cell change, no scrolling).
  async function runLesson(panel) {
    var kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    if (!kernel || panel.isDisposed) return;
    for (var cell of panel.content.widgets) {
      if (panel.isDisposed) return;
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
      var reply;
      try {
        reply = await future.done;
      } catch (reason) {  // the kernel went away or the cell was run again
        model.executionState = "idle";
        return;
      }
      if (reply.content.status !== "ok") {
        model.executionState = "idle";
        break;
      }
      model.executionCount = reply.content.execution_count;
    }
    if (!panel.isDisposed) panel.context.model.dirty = false;  // what ran is not the learner's change
  }

  function prepare(panel, context) {
    context.ready.then(function () {
      if (!isLesson(context.model)) return;
      panel.addClass(LESSON_CLASS);
      removeValidateButton(panel);
      if (!onlyLessonCalls(panel.content)) {
        console.warn(NAME + ": " + context.path + " is marked as a lesson but holds other code; " +
                     "it is not run automatically");
        return;
      }
      var session = panel.sessionContext;
      var run = function () {
        session.ready.then(function () { return runLesson(panel); }).catch(function (reason) {
          console.error(NAME + ": could not run " + context.path, reason);
        });
      };
      var restarted = false;
      session.statusChanged.connect(function (_sender, status) {
        if (status === "restarting" || status === "autorestarting") {
          restarted = true;
        } else if (status === "idle" && restarted) {
          restarted = false;
          run();
        }
      });
      run();
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
    }
  };
})();
