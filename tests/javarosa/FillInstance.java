// Fills an XForm the way ODK Collect does, with the JavaRosa engine bundled in pyxform's
// ODK_Validate.jar: parse the form (external CSV instances read from a media folder), step
// through it event by event, create repeat instances, answer each question through
// FormEntryController.answerQuestion (types, constraints and setvalue actions applied by
// JavaRosa), validate required answers, post-process, and serialise the instance as Collect
// submits it. Used by tests/javarosa_fill.py; compiled at test time against the jar.
//
// Usage: java -cp ODK_Validate.jar:DIR FillInstance FORM.xml MEDIA_DIR ANSWERS.tsv > instance.xml
// ANSWERS.tsv: one "path<TAB>value" per line; path like /form/members[1]/name (repeat
// positions 0-based), plus "#count<TAB>/form/members<TAB>N" for the number of repeat instances.

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;

import org.javarosa.core.model.FormDef;
import org.javarosa.core.model.FormIndex;
import org.javarosa.core.model.ValidateOutcome;
import org.javarosa.core.model.data.AnswerDataFactory;
import org.javarosa.core.model.data.IAnswerData;
import org.javarosa.core.model.data.UncastData;
import org.javarosa.core.model.instance.InstanceInitializationFactory;
import org.javarosa.core.model.instance.TreeReference;
import org.javarosa.core.reference.InvalidReferenceException;
import org.javarosa.core.reference.Reference;
import org.javarosa.core.reference.ReferenceFactory;
import org.javarosa.core.reference.ReferenceManager;
import org.javarosa.core.services.PropertyManager;
import org.javarosa.form.api.FormEntryController;
import org.javarosa.form.api.FormEntryModel;
import org.javarosa.form.api.FormEntryPrompt;
import org.javarosa.model.xform.XFormSerializingVisitor;
import org.javarosa.xform.util.XFormUtils;

public class FillInstance {

    /** jr://file/X and jr://file-csv/X → MEDIA_DIR/X, as Collect maps form media. */
    static class MediaFactory implements ReferenceFactory {
        final Path media;
        MediaFactory(Path media) { this.media = media; }
        public boolean derives(String uri) { return uri.startsWith("jr://file"); }
        public Reference derive(String uri) {
            String name = uri.substring(uri.lastIndexOf('/') + 1);
            return new MediaReference(media.resolve(name), uri);
        }
        public Reference derive(String uri, String context) { return derive(uri); }
    }

    static class MediaReference implements Reference {
        final Path path; final String uri;
        MediaReference(Path path, String uri) { this.path = path; this.uri = uri; }
        public boolean doesBinaryExist() { return Files.exists(path); }
        public InputStream getStream() throws IOException { return Files.newInputStream(path); }
        public String getURI() { return uri; }
        public String getLocalURI() { return path.toAbsolutePath().toString(); }
        public boolean isReadOnly() { return true; }
        public OutputStream getOutputStream() { throw new UnsupportedOperationException(); }
        public void remove() { throw new UnsupportedOperationException(); }
        public Reference[] probeAlternativeReferences() { return new Reference[0]; }
    }

    /** /form/members[1]/name with 0-based positions for repeated nodes only. */
    static String key(TreeReference ref, Set<String> repeats) {
        StringBuilder path = new StringBuilder();
        for (int level = 0; level < ref.size(); level++) {
            path.append('/').append(ref.getName(level));
            if (repeats.contains(path.toString().replaceAll("\\[\\d+\\]", ""))) {
                path.append('[').append(ref.getMultiplicity(level)).append(']');
            }
        }
        return path.toString();
    }

    public static void main(String[] args) throws Exception {
        Path form = Paths.get(args[0]), media = Paths.get(args[1]), answersFile = Paths.get(args[2]);
        Map<String, String> answers = new LinkedHashMap<>();
        Map<String, Integer> counts = new HashMap<>();
        for (String line : Files.readAllLines(answersFile, StandardCharsets.UTF_8)) {
            if (line.isEmpty()) continue;
            String[] parts = line.split("\t", -1);
            if (parts[0].equals("#count")) counts.put(parts[1], Integer.parseInt(parts[2]));
            else answers.put(parts[0], parts[1]);
        }
        // no property storage here: ODK Validate's own stub answers the device properties
        PropertyManager.setPropertyManager(new org.opendatakit.validate.StubPropertyManager());
        ReferenceManager.instance().addReferenceFactory(new MediaFactory(media));

        FormDef def;
        try (InputStream in = Files.newInputStream(form)) {
            def = XFormUtils.getFormFromInputStream(in);
        }
        FormEntryModel model = new FormEntryModel(def);
        FormEntryController entry = new FormEntryController(model);
        def.initialize(true, new InstanceInitializationFactory());

        Set<String> repeats = counts.keySet();
        int answered = 0;
        for (int event = entry.stepToNextEvent(); event != FormEntryController.EVENT_END_OF_FORM;
                event = entry.stepToNextEvent()) {
            FormIndex index = model.getFormIndex();
            if (event == FormEntryController.EVENT_PROMPT_NEW_REPEAT) {
                // the prompt's position = instances already there (a form may start with one)
                TreeReference ref = index.getReference();
                String repeat = key(ref, repeats).replaceAll("\\[\\d+\\]$", "");
                if (ref.getMultiplicity(ref.size() - 1) < counts.getOrDefault(repeat, 0)) {
                    entry.newRepeat();
                }
                continue;
            }
            if (event != FormEntryController.EVENT_QUESTION) continue;
            FormEntryPrompt prompt = model.getQuestionPrompt();
            if (prompt.isReadOnly()) continue;
            String path = key(index.getReference(), repeats);
            String value = answers.get(path);
            if (System.getenv("FILL_DEBUG") != null) System.err.println(path + " = " + value);
            if (value == null || value.isEmpty()) continue;
            IAnswerData data = AnswerDataFactory.templateByDataType(prompt.getDataType())
                    .cast(new UncastData(value));
            int status = entry.answerQuestion(index, data, true);
            if (status != FormEntryController.ANSWER_OK) {
                System.err.println("answer refused (" + status + ") at " + path + " = " + value
                        + ": " + prompt.getConstraintText());
                System.exit(3);
            }
            answered++;
        }
        ValidateOutcome outcome = def.validate(true);
        if (outcome != null) {
            System.err.println("not valid at " + key(outcome.failedPrompt.getReference(), repeats)
                    + ": outcome " + outcome.outcome + " (1 = required but empty, 2 = constraint)");
            System.exit(4);
        }
        def.postProcessInstance();
        byte[] xml = new XFormSerializingVisitor().serializeInstance(def.getInstance());
        System.err.println("answered " + answered + " questions");
        System.out.write(xml);
        System.out.flush();
    }
}
