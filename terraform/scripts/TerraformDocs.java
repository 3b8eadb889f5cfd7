import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the inputs and outputs tables of the Terraform root module into terraform/README.md,
 * between the markers {@code <!-- BEGIN_TF_DOCS -->} and {@code <!-- END_TF_DOCS -->}, from the
 * module's variables.tf and outputs.tf (terraform-docs is not needed).
 *
 * <pre>
 * java terraform/scripts/TerraformDocs.java           # rewrite the tables
 * java terraform/scripts/TerraformDocs.java --check   # exit 1 if README.md is out of step
 * java terraform/scripts/TerraformDocs.java --dir path/to/module [--check]
 * </pre>
 *
 * The module directory defaults to ./terraform (run from the repository root) or to . when it
 * holds variables.tf. Every variable and output must have a description, and every variable a
 * type: the generator refuses the module otherwise.
 *
 * The parser knows just enough HCL for these files: top-level blocks with quoted labels,
 * attributes ({@code name = expression}) whose expression ends at a newline outside brackets,
 * strings with escapes and {@code ${…}} / {@code %{…}} templates, heredocs ({@code <<EOT},
 * {@code <<-EOT}), nested blocks (validation { … }) and the three comment styles.
 */
public class TerraformDocs {
    static final String BEGIN = "<!-- BEGIN_TF_DOCS -->";
    static final String END = "<!-- END_TF_DOCS -->";

    record Block(String type, List<String> labels, Map<String, String> attributes, List<Block> blocks) {
    }

    public static void main(String[] args) throws IOException {
        boolean check = false;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--check" -> check = true;
                case "--dir" -> dir = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: java TerraformDocs.java [--dir MODULE_DIR] [--check]");
                    System.exit(2);
                }
            }
        }
        if (dir == null) {
            dir = Files.exists(Path.of("terraform", "variables.tf")) ? Path.of("terraform") : Path.of(".");
        }
        Path readme = dir.resolve("README.md");
        String tables;
        try {
            tables = render(parse(dir.resolve("variables.tf")), parse(dir.resolve("outputs.tf")));
        } catch (IllegalArgumentException e) {
            System.err.println("TerraformDocs: " + e.getMessage());
            System.exit(1);
            return;
        }
        String current = Files.readString(readme, StandardCharsets.UTF_8);
        int begin = current.indexOf(BEGIN);
        int end = current.indexOf(END);
        if (begin < 0 || end < begin) {
            System.err.println("TerraformDocs: " + readme + " has no " + BEGIN + " … " + END + " markers");
            System.exit(1);
        }
        String updated = current.substring(0, begin) + BEGIN + "\n" + tables + END + current.substring(end + END.length());
        if (check) {
            if (!updated.equals(current)) {
                System.err.println("TerraformDocs: " + readme + " is out of step with variables.tf/outputs.tf;"
                        + " run: java terraform/scripts/TerraformDocs.java");
                System.exit(1);
            }
            System.out.println("TerraformDocs: " + readme + " is up to date");
        } else if (!updated.equals(current)) {
            Files.writeString(readme, updated, StandardCharsets.UTF_8);
            System.out.println("TerraformDocs: updated " + readme);
        } else {
            System.out.println("TerraformDocs: " + readme + " already up to date");
        }
    }

    // ---------------------------------------------------------------------------------------
    // Rendering
    // ---------------------------------------------------------------------------------------

    static String render(List<Block> variables, List<Block> outputs) {
        StringBuilder out = new StringBuilder();
        out.append("<!-- Generated from variables.tf and outputs.tf by `java terraform/scripts/TerraformDocs.java`; do not edit by hand. -->\n");
        out.append("### Inputs\n\n");
        out.append("| Name | Description | Type | Default | Required |\n");
        out.append("|------|-------------|------|---------|:--------:|\n");
        List<Block> required = new ArrayList<>();
        List<Block> optional = new ArrayList<>();
        for (Block v : variables) {
            if (!v.type().equals("variable")) {
                continue;
            }
            String name = v.labels().get(0);
            if (!v.attributes().containsKey("description")) {
                throw new IllegalArgumentException("variable \"" + name + "\" has no description");
            }
            if (!v.attributes().containsKey("type")) {
                throw new IllegalArgumentException("variable \"" + name + "\" has no type");
            }
            (v.attributes().containsKey("default") ? optional : required).add(v);
        }
        for (List<Block> group : List.of(required, optional)) {
            for (Block v : group) {
                Map<String, String> a = v.attributes();
                String description = stringValue(a.get("description"));
                if ("true".equals(a.get("sensitive"))) {
                    description += " (sensitive)";
                }
                String def = a.containsKey("default") ? code(oneLine(a.get("default"))) : "n/a";
                out.append("| ").append(code(v.labels().get(0)))
                        .append(" | ").append(text(description))
                        .append(" | ").append(code(oneLine(a.get("type"))))
                        .append(" | ").append(def)
                        .append(" | ").append(a.containsKey("default") ? "no" : "yes")
                        .append(" |\n");
            }
        }
        out.append("\n### Outputs\n\n");
        out.append("| Name | Description |\n");
        out.append("|------|-------------|\n");
        for (Block o : outputs) {
            if (!o.type().equals("output")) {
                continue;
            }
            String name = o.labels().get(0);
            if (!o.attributes().containsKey("description")) {
                throw new IllegalArgumentException("output \"" + name + "\" has no description");
            }
            String description = stringValue(o.attributes().get("description"));
            if ("true".equals(o.attributes().get("sensitive"))) {
                description += " (sensitive)";
            }
            out.append("| ").append(code(name)).append(" | ").append(text(description)).append(" |\n");
        }
        return out.toString();
    }

    /** Prose in a table cell: one line, pipes escaped, &lt; and &gt; not taken for HTML. */
    static String text(String prose) {
        return cell(prose).replace("<", "&lt;").replace(">", "&gt;");
    }

    /** A table cell: one line, pipes escaped. */
    static String cell(String text) {
        return text.replace("\r", "").replace("\n", " ").replace("|", "\\|").trim();
    }

    /** A code span in a table cell (GitHub tables take \| inside code spans). */
    static String code(String text) {
        String t = cell(text);
        String fence = t.contains("`") ? "``" : "`";
        return fence + (fence.length() > 1 ? " " + t + " " : t) + fence;
    }

    /**
     * An expression on one line: lines joined with spaces, a comma where a line break separated
     * two elements (object type attributes, map entries), runs of blanks outside strings reduced
     * to one.
     */
    static String oneLine(String expression) {
        String[] lines = expression.strip().split("\n");
        StringBuilder joined = new StringBuilder();
        String previous = null;
        for (String raw : lines) {
            String line = stripComment(raw).strip();
            if (line.isEmpty()) {
                continue;
            }
            if (previous != null) {
                boolean opens = previous.endsWith("{") || previous.endsWith("[") || previous.endsWith("(") || previous.endsWith(",");
                boolean closes = line.startsWith("}") || line.startsWith("]") || line.startsWith(")");
                joined.append(opens || closes ? " " : ", ");
            }
            joined.append(line);
            previous = line;
        }
        StringBuilder out = new StringBuilder();
        boolean inString = false;
        for (int i = 0; i < joined.length(); i++) {
            char c = joined.charAt(i);
            if (c == '"' && (i == 0 || joined.charAt(i - 1) != '\\')) {
                inString = !inString;
            }
            if (!inString && c == ' ' && out.length() > 0 && out.charAt(out.length() - 1) == ' ') {
                continue;
            }
            out.append(c);
        }
        return out.toString();
    }

    /** A line without a trailing # or // comment (outside strings). */
    static String stripComment(String line) {
        boolean inString = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && inString) {
                i++;
            } else if (c == '"') {
                inString = !inString;
            } else if (!inString && (c == '#' || (c == '/' && i + 1 < line.length() && line.charAt(i + 1) == '/'))) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /** The text of a string literal or heredoc expression; other expressions as written. */
    static String stringValue(String expression) {
        String e = expression.strip();
        if (e.startsWith("<<")) {
            return heredocText(e);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"") && stringEnd(e, 0) == e.length()) {
            StringBuilder out = new StringBuilder();
            for (int i = 1; i < e.length() - 1; i++) {
                char c = e.charAt(i);
                if (c == '\\' && i + 1 < e.length() - 1) {
                    char n = e.charAt(++i);
                    switch (n) {
                        case 'n' -> out.append('\n');
                        case 't' -> out.append('\t');
                        case 'r' -> out.append('\r');
                        case '"' -> out.append('"');
                        case '\\' -> out.append('\\');
                        case 'u' -> {
                            out.append((char) Integer.parseInt(e.substring(i + 1, i + 5), 16));
                            i += 4;
                        }
                        default -> out.append('\\').append(n);
                    }
                } else if ((c == '$' || c == '%') && i + 2 < e.length() && e.charAt(i + 1) == c && e.charAt(i + 2) == '{') {
                    out.append(c).append('{'); // $${ and %%{ are literal ${ and %{
                    i += 2;
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }
        return e;
    }

    static String heredocText(String e) {
        int nl = e.indexOf('\n');
        boolean indented = e.startsWith("<<-");
        String marker = e.substring(indented ? 3 : 2, nl).strip();
        List<String> lines = new ArrayList<>(List.of(e.substring(nl + 1).split("\n", -1)));
        while (!lines.isEmpty() && !lines.get(lines.size() - 1).strip().equals(marker)) {
            lines.remove(lines.size() - 1);
        }
        if (!lines.isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        int indent = Integer.MAX_VALUE;
        if (indented) {
            for (String l : lines) {
                if (!l.isBlank()) {
                    indent = Math.min(indent, l.length() - l.stripLeading().length());
                }
            }
        }
        StringBuilder out = new StringBuilder();
        for (String l : lines) {
            out.append(indented && indent != Integer.MAX_VALUE && l.length() >= indent ? l.substring(indent) : l).append('\n');
        }
        return out.toString().strip();
    }

    // ---------------------------------------------------------------------------------------
    // Parsing
    // ---------------------------------------------------------------------------------------

    static List<Block> parse(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.UTF_8).replace("\r\n", "\n");
        List<Block> blocks = new ArrayList<>();
        int[] pos = {0};
        while (true) {
            skipBlank(s, pos, true);
            if (pos[0] >= s.length()) {
                return blocks;
            }
            blocks.add(parseBlock(s, pos, file));
        }
    }

    /** identifier "label"… { body } starting at pos. */
    static Block parseBlock(String s, int[] pos, Path file) {
        String type = identifier(s, pos, file);
        List<String> labels = new ArrayList<>();
        while (true) {
            skipBlank(s, pos, false);
            char c = at(s, pos[0]);
            if (c == '"') {
                int end = stringEnd(s, pos[0]);
                labels.add(stringValue(s.substring(pos[0], end)));
                pos[0] = end;
            } else if (c == '{') {
                pos[0]++;
                break;
            } else if (Character.isLetter(c) || c == '_') {
                labels.add(identifier(s, pos, file));
            } else {
                throw error(file, s, pos[0], "expected a label or '{' after " + type);
            }
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        List<Block> blocks = new ArrayList<>();
        while (true) {
            skipBlank(s, pos, true);
            char c = at(s, pos[0]);
            if (c == '}') {
                pos[0]++;
                return new Block(type, labels, attributes, blocks);
            }
            if (c == 0) {
                throw error(file, s, pos[0], "unclosed block " + type + " " + labels);
            }
            int start = pos[0];
            String name = identifier(s, pos, file);
            skipBlank(s, pos, false);
            if (at(s, pos[0]) == '=' && at(s, pos[0] + 1) != '=') {
                pos[0]++;
                skipBlank(s, pos, false);
                int end = expressionEnd(s, pos[0], file);
                attributes.put(name, s.substring(pos[0], end).strip());
                pos[0] = end;
            } else {
                pos[0] = start;
                blocks.add(parseBlock(s, pos, file));
            }
        }
    }

    static String identifier(String s, int[] pos, Path file) {
        int start = pos[0];
        while (pos[0] < s.length() && (Character.isLetterOrDigit(s.charAt(pos[0])) || s.charAt(pos[0]) == '_' || s.charAt(pos[0]) == '-')) {
            pos[0]++;
        }
        if (start == pos[0]) {
            throw error(file, s, start, "expected an identifier");
        }
        return s.substring(start, pos[0]);
    }

    /** Skips blanks and comments; newlines too when {@code newlines}. */
    static void skipBlank(String s, int[] pos, boolean newlines) {
        while (pos[0] < s.length()) {
            char c = s.charAt(pos[0]);
            if (c == ' ' || c == '\t' || (newlines && c == '\n')) {
                pos[0]++;
            } else if (c == '#' || (c == '/' && at(s, pos[0] + 1) == '/')) {
                while (pos[0] < s.length() && s.charAt(pos[0]) != '\n') {
                    pos[0]++;
                }
            } else if (c == '/' && at(s, pos[0] + 1) == '*') {
                int end = s.indexOf("*/", pos[0] + 2);
                pos[0] = end < 0 ? s.length() : end + 2;
            } else {
                return;
            }
        }
    }

    /**
     * End of the expression starting at i: the first newline (or '}' closing the enclosing block)
     * outside brackets, strings, heredocs and comments.
     */
    static int expressionEnd(String s, int i, Path file) {
        int depth = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '"') {
                i = stringEnd(s, i);
                continue;
            }
            if (c == '<' && at(s, i + 1) == '<' && (Character.isLetter(at(s, i + 2)) || at(s, i + 2) == '-')) {
                i = heredocEnd(s, i, file);
                continue;
            }
            if (c == '#' || (c == '/' && at(s, i + 1) == '/')) {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
                continue;
            }
            if (c == '/' && at(s, i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) {
                    return i; // a one-line block: name = value }
                }
                depth--;
            } else if (c == '\n' && depth == 0) {
                return i;
            }
            i++;
        }
        if (depth != 0) {
            throw error(file, s, i, "unbalanced brackets");
        }
        return i;
    }

    /** Index just past the string literal opening at i (handles escapes and ${…}/%{…} templates). */
    static int stringEnd(String s, int i) {
        i++;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\\') {
                i += 2;
            } else if (c == '"') {
                return i + 1;
            } else if ((c == '$' || c == '%') && at(s, i + 1) == '{') {
                i = templateEnd(s, i + 2);
            } else if ((c == '$' || c == '%') && at(s, i + 1) == c && at(s, i + 2) == '{') {
                i += 3; // escaped $${ / %%{
            } else {
                i++;
            }
        }
        return i;
    }

    /** Index just past the '}' closing a template interpolation whose body starts at i. */
    static int templateEnd(String s, int i) {
        int depth = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '"') {
                i = stringEnd(s, i);
                continue;
            }
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                if (depth == 0) {
                    return i + 1;
                }
                depth--;
            }
            i++;
        }
        return i;
    }

    /** Index just past the closing marker line of the heredoc opening at i. */
    static int heredocEnd(String s, int i, Path file) {
        int nl = s.indexOf('\n', i);
        if (nl < 0) {
            throw error(file, s, i, "heredoc without a body");
        }
        String marker = s.substring(i + (at(s, i + 2) == '-' ? 3 : 2), nl).strip();
        int line = nl + 1;
        while (line < s.length()) {
            int next = s.indexOf('\n', line);
            int lineEnd = next < 0 ? s.length() : next;
            if (s.substring(line, lineEnd).strip().equals(marker)) {
                return lineEnd;
            }
            line = lineEnd + 1;
        }
        throw error(file, s, i, "heredoc " + marker + " is not closed");
    }

    static char at(String s, int i) {
        return i >= 0 && i < s.length() ? s.charAt(i) : 0;
    }

    static IllegalArgumentException error(Path file, String s, int i, String message) {
        int line = 1;
        for (int k = 0; k < Math.min(i, s.length()); k++) {
            if (s.charAt(k) == '\n') {
                line++;
            }
        }
        return new IllegalArgumentException(file + ":" + line + ": " + message);
    }
}
